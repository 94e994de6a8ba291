"""`plexcare assess --batch`: many case files read, validated and assessed as one batch.

A case per `.yaml`, `.yml` or `.json` file, or a case per line of a JSON Lines (`.jsonl`) file.
JSON is read from its bytes by the twin of the case model and straight into the batch's arrays
(`engine.case_data_batch`); a case that reading declines, and every YAML file, is read by
`Case` (`engine.case_batch.read_case`), which also says what is wrong with a bad one. YAML is
parsed first, with the C loader, and costs far more (about 0.4 ms a case against some 0.05 ms
for the whole of a JSON case), so JSON is the format for big batches. Big batches are split
over the processor's cores: this process and a worker process for each other core read,
validate and assess a contiguous share of the cases each, and render its rows as they are
printed; the renderings are joined in order, so the output and the error (the first bad case
in file order) are what one process would give.

Bad input stops the batch with a `CaseInputError` naming the file (and line) and the field.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import yaml
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from plexcare.cli.collector import collection_paused
from plexcare.engine.case import Case
from plexcare.engine.case_batch import CaseInputError, leading_answers, read_case
from plexcare.engine.case_data import case_input
from plexcare.engine.case_data_batch import CaseDataBatch, ValuesRead
from plexcare.engine.case_names import CaseError, check_case_names
from plexcare.knowledge.loader import knowledge_base

BATCH_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
"""What `--batch` reads from a folder."""
CASES_PER_WORKER = 2_500
"""Below this many cases a share, starting a worker costs more than it saves."""
CASES_A_CHUNK = 4_096
"""Cases read, assessed and rendered at once (`_assess_share`): measured on 20,000 cases in
a new process, 4,096 a chunk took 75 to 90 % of the time of all at once, 2,048 and 8,192 were no
quicker, and 1,024 or fewer began to cost more in the scoring's steps than it saved in memory."""
VALUES_KEPT = 1 << 15
"""The most different values of a kind (study results, comparisons) a share remembers."""
SMALL_FILE = 1 << 16
"""Bytes `file_bytes` reads first: a case file is smaller, and read whole by that one read."""
LINES_SAMPLED = 1 << 20
"""Bytes of a JSON Lines file whose lines are counted to tell how many cases it holds."""

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


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
"""glibc's `mallopt` parameters (malloc.h)."""
MEMORY_MAPPED_ABOVE = 32 << 20
"""The size above which an allocation gets memory of its own from the operating system."""


def memory_kept_for_reuse() -> None:
    """Have the C library keep the memory a batch's chunk frees, for the next chunk (glibc).

    Left to itself, glibc gives every allocation over its threshold (128 KiB at first, then
    the size of the biggest freed) fresh memory from the operating system, and hands freed
    memory back, so each chunk of a batch took its arrays' memory from the system again,
    page by page: measured on 20,000 cases in a new process, keeping it made the batch 6 to
    10 % quicker. A batch command ends with its batch, so
    nothing holds the memory for long. Elsewhere (another C library) this does nothing.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, MEMORY_MAPPED_ABOVE)
    mallopt(M_TRIM_THRESHOLD, 1 << 30)


def file_bytes(path: str) -> bytes:
    """The whole file, through the operating system's calls alone: a batch reads thousands
    of small files, and `Path.read_bytes`'s buffered file object took twice as long.

    A case file is read in one call: a read of a regular file that returns less than it was
    asked for has reached the end, so a file under `SMALL_FILE` bytes costs an open, a read
    and a close (asking its size first, and reading again to find its end, took a third of
    the time again: 6.8 against 4.4-4.8 µs a file over 20,000 cases). A bigger file is then
    read whole at once from its start, its size asked: read in 64 KiB pieces and joined, a
    JSON Lines file of 28 MB took twice as long, in the part of a batch no worker shares."""
    try:
        handle = os.open(path, os.O_RDONLY)
        try:
            first = os.read(handle, SMALL_FILE)
            if len(first) < SMALL_FILE:
                return first
            size = os.fstat(handle).st_size
            os.lseek(handle, 0, os.SEEK_SET)
            chunks = [os.read(handle, max(size, SMALL_FILE))]
            while chunk := os.read(handle, SMALL_FILE):  # the file grew as it was read
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


class CaseLines(NamedTuple):
    """A run of a JSON Lines file's lines: the bytes from `start` to `end` of the file's
    `data`, the first of them its line `first_line`. A big file is cut into runs, one a
    worker, by the parent, and each worker splits its own run into cases: listing every line
    in the parent took as long as a tenth of the batch, one process alone."""

    name: str
    file: str
    data: bytes
    start: int
    end: int
    first_line: int = 1

    def entries(self) -> list[CaseEntry]:
        """A case for every line that is not blank, numbered as the whole file is. Each
        entry is made by `tuple.__new__`, not the named tuple's own constructor (a Python
        function), and a blank line is told by `isspace`, not by a stripped copy of every
        line: listing 20,000 cases in a new process took some 60 % of the time."""
        lines = self.data[self.start : self.end].splitlines()
        name, file, made = self.name, self.file, tuple.__new__
        return [
            made(CaseEntry, (f"{name}:{number}", file, number, line))
            for number, line in enumerate(lines, start=self.first_line)
            if line and not line.isspace()
        ]

    def head(self) -> CaseLines:
        """The run's first line alone (up to its first \\n)."""
        return self._replace(end=self.data.find(b"\n", self.start, self.end) + 1 or self.end)

    def cases(self) -> int:
        """About how many cases the run holds, to share a batch out: its lines, counted in
        its first `LINES_SAMPLED` bytes and scaled to its size (counting every line of a big
        file took as long as splitting it)."""
        sampled = min(self.end, self.start + LINES_SAMPLED)
        lines = self.data.count(b"\n", self.start, sampled) + 1
        if sampled == self.end:
            return lines
        return lines * (self.end - self.start) // (sampled - self.start)

    def cut(self, cases: int) -> tuple[CaseLines, CaseLines] | None:
        """The run as two, the first of about `cases` lines (cut after a line ending, found
        from the run's bytes a line), or None when the cut would leave one of them empty."""
        data, start, end = self.data, self.start, self.end
        at = data.find(b"\n", start + (end - start) * cases // max(self.cases(), 1), end) + 1
        if at <= start or at >= end:
            return None
        breaks = data.count(b"\n", start, at)
        if data.find(b"\r", start, at) >= 0:  # `bytes.splitlines` breaks lines at \r too
            breaks += data.count(b"\r", start, at) - data.count(b"\r\n", start, at)
        return self._replace(end=at), self._replace(start=at, first_line=self.first_line + breaks)


CaseSource = CaseEntry | CaseLines
"""A case file of its own, or a run of a JSON Lines file's lines."""


def case_sources(target: Path) -> list[CaseSource]:
    """What a folder (or one `.jsonl` file) holds, in file order: each JSON Lines file read
    whole, as one run of lines."""
    if target.is_file() and target.suffix == ".jsonl":
        names = [target.name]
        folder = str(target.parent)
    elif target.is_dir():
        with os.scandir(target) as found:
            names = sorted(e.name for e in found if os.path.splitext(e.name)[1] in BATCH_SUFFIXES)
        folder = str(target)
    else:
        raise CaseInputError(str(target), None, "not a folder (or a .jsonl file of cases)")
    sources: list[CaseSource] = []
    for name in names:
        path = os.path.join(folder, name)
        if name.endswith(".jsonl"):
            data = file_bytes(path)
            sources.append(CaseLines(name, path, data, 0, len(data)))
        else:
            sources.append(CaseEntry(name, path))
    return sources


def entries_of(sources: Sequence[CaseSource]) -> list[CaseEntry]:
    """Every case of the sources, in order."""
    entries: list[CaseEntry] = []
    for source in sources:
        if isinstance(source, CaseLines):
            entries += source.entries()
        else:
            entries.append(source)
    return entries


def _cases_in(source: CaseSource) -> int:
    """About how many cases a source holds (a case file holds one)."""
    return source.cases() if isinstance(source, CaseLines) else 1


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


def _assess_share(entries: Sequence[CaseEntry], as_json: bool) -> tuple[Body, Problem | None]:
    """One share of a batch, its rows rendered as they are printed (a `Body`); or its first
    problem in order (a case refused, or an unknown name, as a case-by-case reading would find
    first).

    The share is read, assessed and rendered `CASES_A_CHUNK` cases at a time, in order, each
    chunk sharing what the earlier ones read of each different value (`ValuesRead`), so a
    batch's memory stays that of a chunk: all at once, a batch of 20,000 cases held some
    300 MB, and a new process spent up to a third of its time taking that memory from the
    operating system page by page.

    Within a chunk every case is read from its JSON data where it can be; the rest (declined
    by that reading, or YAML) are read by `Case` afterwards, in order, so the first of them
    with a problem is the chunk's first problem: a case read from its data has none.

    The scoring's matrix products run on one thread: a batch's shares already keep every
    core busy, and OpenBLAS's threads, waiting for work by spinning, took a tenth of the
    processor time from them (and were no quicker for one process alone).
    """
    kb = knowledge_base()
    values = ValuesRead()
    pieces = []
    with collection_paused(), threadpool_limits(limits=1, user_api="blas"):
        for at in range(0, len(entries), CASES_A_CHUNK):
            chunk = entries[at : at + CASES_A_CHUNK]
            try:
                rows = _assess_chunk(CaseDataBatch(kb, values), chunk)
            except CaseInputError as error:
                return [], (error.where, error.field, error.problem)
            pieces.append(rendered(rows, as_json))
            values.forget_beyond(VALUES_KEPT)
    return _body(pieces, as_json), None


def _assess_chunk(batch: CaseDataBatch, entries: Sequence[CaseEntry]) -> list[dict[str, Any]]:
    """A chunk's rows, read into `batch`; its first problem raised."""
    texts = [_text(entry) for entry in entries]
    for text in texts:
        batch.add(None if text is None else case_input(text))
    for row in batch.to_read_as_cases():
        entry = entries[row]
        case = _read_entry(entry, texts[row])
        try:
            check_case_names(case, batch.kb)
        except CaseError as unknown:
            raise CaseInputError(entry.where, unknown.field, unknown.message) from None
        batch.read_as_case(row, case)
    return leading_answers(batch.assess(), files=[entry.name for entry in entries])


def rendered(rows: Sequence[dict[str, Any]], as_json: bool) -> bytes:
    """The rows as `assess --batch` prints them: a JSON array indented by two, or a line a
    case with its leading site and cause."""
    if as_json:
        return orjson.dumps(rows, option=orjson.OPT_INDENT_2)
    return "\n".join(
        f"{row['file']}: {row['localization'][0]['title']} "
        f"{row['localization'][0]['probability']:.0%}; "
        f"{row['etiology'][0]['name']} {row['etiology'][0]['probability']:.0%}"
        for row in rows
    ).encode()


Body = list[bytes | memoryview]
"""Rows as printed, in parts written one after another: their JSON items (or lines of text)
and the separators between them, without an array's brackets. Joined into one, the output of
20,000 rows (some 30 MB) was copied whole, once for each process's chunks and once for the
processes': 20 to 40 ms of a batch's second."""


def _body(pieces: Sequence[bytes], as_json: bool) -> Body:
    """Consecutive chunks' renderings (`rendered`) as one body: an indented array's items sit
    between its first two bytes and its last two (each a bracket and a line break), read in
    place; an empty chunk renders as `[]`, or as nothing in text."""
    if as_json:
        return _concatenated(
            [[memoryview(piece)[2:-2]] for piece in pieces if piece != b"[]"], True
        )
    return _concatenated([[piece] for piece in pieces if piece], False)


def _concatenated(bodies: Sequence[Body], as_json: bool) -> Body:
    """Consecutive bodies as one, a separator between each two that are not empty."""
    separator = b",\n" if as_json else b"\n"
    parts: Body = []
    for body in bodies:
        if body:
            if parts:
                parts.append(separator)
            parts += body
    return parts


def printed(body: Body, as_json: bool) -> Body:
    """The parts `assess --batch` prints for a body: written one after another, byte for byte
    what `rendered` gives for all its rows."""
    if not as_json:
        return body
    return [b"[\n", *body, b"\n]"] if body else [b"[]"]


def _shares(sources: Sequence[CaseSource], workers: int) -> list[list[CaseSource]]:
    """The sources in order, in up to `workers` shares of about as many cases each; a run of
    JSON Lines cut where a share is full."""
    counts = [_cases_in(source) for source in sources]
    size = -(-sum(counts) // workers)
    shares: list[list[CaseSource]] = [[] for _ in range(workers)]
    share, room = 0, size
    for source, cases in zip(sources, counts, strict=True):
        while cases > room and share < workers - 1:
            parts = source.cut(room) if isinstance(source, CaseLines) and room > 0 else None
            if parts is not None:
                shares[share].append(parts[0])
                source = parts[1]
                cases = source.cases()
            share, room = share + 1, size
        shares[share].append(source)
        room -= cases
    return [sources for sources in shares if sources]


def _warm_up(sources: Sequence[CaseSource]) -> None:
    """Compile the knowledge base's tables (and import what scoring imports) with the
    batch's first case, before forking, so that workers start with them."""
    for source in sources:
        entries = source.head().entries() if isinstance(source, CaseLines) else [source]
        if entries:
            _assess_share(entries[:1], as_json=True)
            return


def _report(sources: Sequence[CaseSource], as_json: bool) -> Body:
    """The sources' rows, rendered; the first problem among them raised."""
    report, problem = _assess_share(entries_of(sources), as_json)
    if problem is not None:
        raise CaseInputError(*problem)
    return report


_WORKER_SHARES: list[Sequence[Sequence[CaseSource]]] = []
"""In a worker process only: the batch's shares, as the parent held them when it forked."""


def _receive(shares: Sequence[Sequence[CaseSource]]) -> None:
    """A worker's start: the shares come with the fork (no copy, no pickling)."""
    _WORKER_SHARES.append(shares)


def _assess_in_worker(task: tuple[int, bool, int]) -> Problem | None:
    """A worker's share (by number) of the batch, its rows rendered as they are printed and
    written to the parent's file (by its descriptor): sent back through the pool, each
    share's megabytes were pickled, piped and read back in pieces, which took a tenth of
    the batch's time."""
    share, as_json, output = task
    report, problem = _assess_share(entries_of(_WORKER_SHARES[-1][share]), as_json)
    if problem is None:
        with open(output, "wb", closefd=False) as written:
            written.writelines(report)
    return problem


def default_workers() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def batch_report(target: Path, as_json: bool, workers: int = 1) -> Body:
    """Every case's row (file, leading sites and causes) in a folder or JSON Lines file,
    rendered as printed (`printed`), worked out over up to `workers` processes.

    This process works out the first share itself, beside workers forked for the others
    once the knowledge base is compiled (so they start with it); shares smaller than
    `CASES_PER_WORKER` are not worth a process.
    """
    sources = case_sources(target)
    cases = sum(_cases_in(source) for source in sources)
    workers = max(1, min(workers, cases // CASES_PER_WORKER))
    shares = _shares(sources, workers) if workers > 1 else []
    if len(shares) < 2:
        return printed(_report(sources, as_json), as_json)
    _warm_up(sources)
    context = multiprocessing.get_context("fork")
    with ExitStack() as held:
        outputs = [held.enter_context(tempfile.TemporaryFile()) for _ in shares[1:]]
        pool = held.enter_context(
            context.Pool(len(outputs), initializer=_receive, initargs=(shares,))
        )
        tasks = [(share, as_json, out.fileno()) for share, out in enumerate(outputs, start=1)]
        pending = pool.map_async(_assess_in_worker, tasks)
        try:
            bodies = [_report(shares[0], as_json)]
        finally:
            # Left while a worker still runs (this share's own bad case), the pool's
            # terminate could wait forever on its result thread; seen under load.
            pending.wait()
        for problem, output in zip(pending.get(), outputs, strict=True):
            if problem is not None:
                raise CaseInputError(*problem)
            output.seek(0)
            written = output.read()
            bodies.append([written] if written else [])
    return printed(_concatenated(bodies, as_json), as_json)
