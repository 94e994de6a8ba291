"""`plexcare assess --batch`: many case files read, validated and assessed as one batch.

A case per `.yaml`, `.yml` or `.json` file, or a case per line of a JSON Lines (`.jsonl`) file.
JSON is read from its bytes by the twin of the case model and straight into the batch's arrays
(`engine.case_data_batch`); a case that reading declines, and every YAML file, is read by
`Case` (`engine.case_batch.read_case`), which also says what is wrong with a bad one. YAML is
parsed first, with the C loader, and costs far more (about 0.4 ms a case against some 0.05 ms
for the whole of a JSON case), so JSON is the format for big batches. Big batches are split
over the processor's cores: each worker process reads, validates and assesses a contiguous
share of the cases, and the shares are joined in order, so the rows and the error (the first
bad case in file order) are what one process would give.

Bad input stops the batch with a `CaseInputError` naming the file (and line) and the field.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import yaml

from plexcare.engine.case import Case
from plexcare.engine.case_batch import CaseInputError, leading_answers, read_case
from plexcare.engine.case_data import case_data
from plexcare.engine.case_data_batch import CaseDataBatch
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


class CaseEntry(NamedTuple):
    """One case to read: its row name, its file, its line in a JSON Lines file (0 for a file
    of its own), and its JSON text when it is a line (read by the parent, so a worker gets
    the bytes). A tuple, not a dataclass: a batch makes one for every line."""

    name: str
    file: str
    line: int = 0
    text: bytes | None = None

    @property
    def where(self) -> str:
        """Where the case came from, as an error names it: the file, and the line."""
        return f"{self.file}:{self.line}" if self.line else self.file


@contextmanager
def collection_paused() -> Iterator[None]:
    """Hold Python's cycle collector while a batch is read and assessed.

    A batch builds tens of thousands of small objects and keeps them all, so the collector,
    started by every few hundred new objects, walks the growing heap again and again:
    measured, it took three quarters of the time of reading cases. Cases hold no reference
    cycles, so nothing is lost by collecting once, afterwards.
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
            entries.append(CaseEntry(name, path))
            continue
        for number, line in enumerate(file_bytes(path).splitlines(), start=1):
            if line.strip():
                entries.append(CaseEntry(f"{name}:{number}", path, number, line))
    return entries


def _text(entry: CaseEntry) -> bytes | None:
    """The JSON text to read the case from its data, if it may be JSON (a line, a `.json`);
    None for a file that cannot be read, whose error `_read_entry` gives in its turn."""
    if entry.text is not None:
        return entry.text
    if not entry.file.endswith(".json"):
        return None
    try:
        return file_bytes(entry.file)
    except CaseInputError:
        return None


def _read_entry(entry: CaseEntry, text: bytes | None) -> Case:
    """The case read by `Case`. A `.json` file that is not strict JSON is read as YAML, as it
    always was (JSON is YAML); a JSON Lines line is strict JSON."""
    if entry.text is not None:
        return read_case(entry.where, entry.text)
    if text is not None:
        try:
            return read_case(entry.where, text)
        except CaseInputError as error:
            if not error.unreadable:
                raise
    return read_case(entry.where, _yaml(entry.file))


def _assess_share(entries: Sequence[CaseEntry]) -> tuple[list[dict[str, Any]], Problem | None]:
    """One share of a batch: its rows, or the first problem in order (a case refused, or an
    unknown name, as a case-by-case reading would find first).

    Every case is read from its JSON data where it can be; the rest (declined by that reading,
    or YAML) are read by `Case` afterwards, in order, so the first of them with a problem is
    the share's first problem: a case read from its data has none.
    """
    kb = knowledge_base()
    batch = CaseDataBatch(kb)
    with collection_paused():
        try:
            texts = [_text(entry) for entry in entries]
            for text in texts:
                batch.add(None if text is None else case_data(text))
            for row in batch.to_read_as_cases():
                entry = entries[row]
                case = _read_entry(entry, texts[row])
                try:
                    check_case_names(case, kb)
                except CaseError as unknown:
                    raise CaseInputError(entry.where, unknown.field, unknown.message) from None
                batch.read_as_case(row, case)
            if not len(batch):
                return [], None
            answers = leading_answers(batch.assess(), files=[entry.name for entry in entries])
        except CaseInputError as error:
            return [], (error.where, error.field, error.problem)
    return answers, None


_WORKER_ENTRIES: list[Sequence[CaseEntry]] = []
"""In a worker process only: the batch's entries, as the parent held them when it forked."""


def _receive(entries: Sequence[CaseEntry]) -> None:
    """A worker's start: the entries come with the fork (no copy, no pickling)."""
    _WORKER_ENTRIES.append(entries)


def _assess_range(bounds: tuple[int, int]) -> tuple[bytes, Problem | None]:
    """A worker's share of the entries: its rows as JSON, which is quicker to send back and
    read than pickled dictionaries."""
    rows, problem = _assess_share(_WORKER_ENTRIES[-1][bounds[0] : bounds[1]])
    return orjson.dumps(rows), problem


def _shares(count: int, workers: int) -> list[tuple[int, int]]:
    size = -(-count // workers)
    return [(start, min(start + size, count)) for start in range(0, count, size)]


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
        rows, problem = _assess_share(entries)
        if problem is not None:
            raise CaseInputError(*problem)
        return rows
    _assess_share(entries[:1])  # compile the knowledge base's tables before forking
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_receive, initargs=(entries,)) as pool:
        outcomes = pool.map(_assess_range, _shares(len(entries), workers))
    rows = []
    for share_rows, problem in outcomes:
        if problem is not None:
            raise CaseInputError(*problem)
        rows += orjson.loads(share_rows)
    return rows
