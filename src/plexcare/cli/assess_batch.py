"""`plexcare assess --batch`: many case files read, validated and assessed as one batch.

A case per `.yaml`, `.yml` or `.json` file, or a case per line of a JSON Lines (`.jsonl`) file.
JSON is read straight from its bytes by the case validator (`engine.case_batch.read_case`);
YAML is parsed first, with the C loader, and costs far more (about 0.4 ms a case against
0.04 ms), so JSON is the format for big batches. Big batches are split over the processor's
cores: each worker process reads, validates and assesses a contiguous share of the cases, and
the shares are joined in order, so the rows and the error (the first bad case in file order)
are what one process would give.

Bad input stops the batch with a `CaseInputError` naming the file (and line) and the field.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from plexcare.engine.case import Case
from plexcare.engine.case_batch import (
    CaseInputError,
    assess_read_cases,
    leading_answers,
    read_case,
)
from plexcare.engine.case_names import CaseError, check_case_names
from plexcare.knowledge.loader import knowledge_base

BATCH_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
"""What `--batch` reads from a folder."""
CASES_PER_WORKER = 2_500
"""Below this many cases a share, starting a worker costs more than it saves."""

YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""LibYAML's loader, some ten times the pure-Python one, where PyYAML was built with it."""
Problem = tuple[str, str | None, str]
"""A `CaseInputError` as (where, field, problem): plain data, to travel back from a worker."""


@dataclass(frozen=True)
class CaseEntry:
    """One case to read: its row name, where it came from, its file, and its JSON line when
    it is one line of a JSON Lines file (read by the parent, so a worker gets the bytes)."""

    name: str
    where: str
    file: str
    line: bytes | None = None


@contextmanager
def collection_paused() -> Iterator[None]:
    """Hold Python's cycle collector while a batch is read and assessed.

    A batch builds tens of thousands of small objects (a case is some twenty validated models)
    and keeps them all, so the collector, started by every few hundred new objects, walks the
    growing heap again and again: measured, it took three quarters of the time of reading
    cases. Cases hold no reference cycles, so nothing is lost by collecting once, afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def file_bytes(path: str) -> bytes:
    """The whole file, through the operating system's calls alone: a batch reads thousands
    of small files, and `Path.read_bytes`'s buffered file object took twice as long."""
    try:
        handle = os.open(path, os.O_RDONLY)
        try:
            chunks = []
            while chunk := os.read(handle, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(handle)
    except FileNotFoundError:
        raise CaseInputError(str(path), None, "no such file") from None
    except IsADirectoryError:
        raise CaseInputError(str(path), None, "is a folder, not a case file") from None
    except OSError as error:
        raise CaseInputError(str(path), None, f"cannot be read ({error.strerror})") from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _yaml(path: str) -> Any:
    """A YAML (or JSON) file as plain data, with `cli.assess`'s words for what is wrong."""
    try:
        text = file_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise CaseInputError(
            str(path), None, "not a text file (expected UTF-8 YAML or JSON)"
        ) from None
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise CaseInputError(str(path), None, f"not valid YAML or JSON{at}") from None


def case_entries(target: Path) -> list[CaseEntry]:
    """The cases a folder (or one `.jsonl` file) holds, in file order then line order."""
    if target.is_file() and target.suffix == ".jsonl":
        names = [target.name]
        folder = str(target.parent)
    elif target.is_dir():
        with os.scandir(target) as found:
            names = sorted(e.name for e in found if os.path.splitext(e.name)[1] in BATCH_SUFFIXES)
        folder = str(target)
    else:
        raise CaseInputError(str(target), None, "not a folder (or a .jsonl file of cases)")
    entries: list[CaseEntry] = []
    for name in names:
        path = os.path.join(folder, name)
        if not name.endswith(".jsonl"):
            entries.append(CaseEntry(name, path, path))
            continue
        for number, line in enumerate(file_bytes(path).splitlines(), start=1):
            if line.strip():
                entries.append(CaseEntry(f"{name}:{number}", f"{path}:{number}", path, line))
    return entries


def _read_entry(entry: CaseEntry) -> Case:
    """A `.json` file that is not strict JSON is read as YAML, as it always was (JSON is
    YAML); a JSON Lines line is strict JSON."""
    if entry.line is not None:
        return read_case(entry.where, entry.line)
    if entry.file.endswith(".json"):
        try:
            return read_case(entry.where, file_bytes(entry.file))
        except CaseInputError as error:
            if not error.unreadable:
                raise
    return read_case(entry.where, _yaml(entry.file))


def _assess_share(entries: Sequence[CaseEntry]) -> tuple[list[dict[str, Any]], Problem | None]:
    """One share of a batch: its rows, or the first problem in order (a case refused, or an
    unknown name in a case before it, as a case-by-case reading would find first)."""
    kb = knowledge_base()
    cases: list[Case] = []
    with collection_paused():
        try:
            for entry in entries:
                try:
                    cases.append(_read_entry(entry))
                except CaseInputError:
                    for case, earlier in zip(cases, entries, strict=False):
                        try:
                            check_case_names(case, kb)
                        except CaseError as unknown:
                            raise CaseInputError(
                                earlier.where, unknown.field, unknown.message
                            ) from None
                    raise
            if not cases:
                return [], None
            answers = leading_answers(assess_read_cases(cases, [e.where for e in entries], kb))
        except CaseInputError as error:
            return [], (error.where, error.field, error.problem)
    rows = [{"file": e.name, **answer} for e, answer in zip(entries, answers, strict=True)]
    return rows, None


def _shares(entries: Sequence[CaseEntry], workers: int) -> list[Sequence[CaseEntry]]:
    size = -(-len(entries) // workers)
    return [entries[start : start + size] for start in range(0, len(entries), size)]


def default_workers() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def assess_entries(entries: Sequence[CaseEntry], workers: int = 1) -> list[dict[str, Any]]:
    """Every case's row (file, leading sites and causes), over up to `workers` processes.

    Workers are forked after the knowledge base is compiled, so they start with it; shares
    smaller than `CASES_PER_WORKER` are not worth a process.
    """
    workers = max(1, min(workers, len(entries) // CASES_PER_WORKER))
    if workers == 1:
        outcomes = [_assess_share(entries)]
    else:
        _assess_share(entries[:1])  # compile the knowledge base's tables before forking
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            outcomes = pool.map(_assess_share, _shares(entries, workers))
    rows: list[dict[str, Any]] = []
    for share_rows, problem in outcomes:
        if problem is not None:
            raise CaseInputError(*problem)
        rows += share_rows
    return rows
