"""`plexcare assess --batch` from files: cases/s with reading, parsing and validation included.

Target (issue 14, item 4): at least 20,000 cases/s from the files' contents, for JSON and JSON
Lines (YAML's parser alone costs some 0.4 ms a case, so YAML is timed but not held to it). The
example cases and vignettes are written N times over to a temporary folder, each copy another
patient's (its own id, age and conduction measures: `_copies`), as one JSON file per case, as one
JSON Lines file, and (fewer) as YAML files; the command is then timed in this process (no start-up)
and as a subprocess (start-up and the knowledge base load included, then subtracted with a batch of
one case to give the steady rate: that batch also compiles the knowledge base's batch tables and
imports SciPy, once a process whatever the batch's size, which an empty folder never did).

The in-process runs come first, those over all cores first of all: a worker is forked from
this process, and measuring the steps (the old path's 20,000 `Case` models above all) left this
process holding some 750 MB, whose pages every fork then copied the tables of and every worker
unmapped as it ended (a fork took 27 ms instead of 6, and the two processes' rate fell from
28,700 to 24,200-25,400 cases/s), which the command, forking from its own small process, never
pays.

Where the time goes is printed step by step for the JSON Lines file, as `assess --batch` runs the
steps (the matrix products on one thread) but over the whole file at once (the command takes 4,096
cases at a time, and frees each chunk's objects as it goes), beside the path it replaced (every
case built as a `Case` model, then `assess_batch`). One process is timed in CPU seconds (the
machine is shared), best of three; a batch over all cores (`--jobs`), and every subprocess, in wall
seconds.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
import yaml
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
from typer.testing import CliRunner

from plexcare.cli.assess_batch import case_sources, default_workers, entries_of
from plexcare.cli.collector import collection_paused
from plexcare.cli.main import app
from plexcare.engine.assessment import assess_batch
from plexcare.engine.case_batch import leading_answers, read_case
from plexcare.engine.case_data import case_input
from plexcare.engine.case_data_batch import CaseDataBatch
from plexcare.knowledge.loader import knowledge_base

ROOT = Path(__file__).parents[1]
SOURCES = (ROOT / "examples" / "cases", ROOT / "tests" / "engine" / "vignettes")
CASES = 20_000
YAML_CASES = 2_000
TARGET = 20_000
REPEATS = 3
SUBPROCESS_REPEATS = 5
"""Runs of each command as a subprocess, alternating the batch and the batch of one: the
steady rate is the difference of two times of a few seconds each, on a machine whose speed
drifts by a quarter from minute to minute, so each is the best of more runs, taken
side by side."""
WALL_REPEATS = SUBPROCESS_REPEATS
"""Runs of each in-process batch over all cores: timed in wall seconds, which the machine's
drift reaches as a process's CPU seconds are not reached, so the best of as many runs as a
subprocess's: best of three, one `make bench` gave 19,400 cases/s for the JSON files, and the
command run as a subprocess over the same files, a minute later, 23,500; run side by side in
one process, the two agreed to within the machine's drift (21,600-28,000 against
20,500-26,200 cases/s)."""
Result = TypeVar("Result")


def _timed(run: Callable[[], Result]) -> tuple[float, float, Result]:
    """(CPU seconds, wall seconds, result) of one run."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = run()
    return time.process_time() - cpu, time.perf_counter() - wall, result


MEASURES = {"amplitude": None, "velocity": 120.0, "latency": 200.0, "persistence": 100.0}
"""A study result's measures, each with the most the case model takes."""


def _measured_again(result: dict[str, Any], draw: random.Random) -> dict[str, Any]:
    """A study result as another patient's might read: each measure within 15 % of the
    example's, to a tenth, its segments too."""
    again = dict(result)
    for measure, most in MEASURES.items():
        value = again.get(measure)
        if isinstance(value, int | float):
            value = round(value * draw.uniform(0.85, 1.15), 1)
            again[measure] = value if most is None else min(value, most)
    if isinstance(again.get("segments"), dict):
        again["segments"] = {
            name: _measured_again(segment, draw) for name, segment in again["segments"].items()
        }
    return again


def _copies(data: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """`count` cases, the examples over and over, each copy another patient's: an id of its
    own, an age a few years either way, and every conduction study measured again.

    Exact copies would flatter the reading, which works out each different study result
    once a batch: 77 examples over 20,000 cases gave it a few hundred results, read again
    and again from small tables in a core's cache, and ran a third faster than this."""
    made = []
    draw = random.Random(CASES)
    for number in range(count):
        item = data[number % len(data)]
        copy = {**item, "id": f"{item.get('id') or 'case'}-{number}"[:80]}
        copy["age"] = min(max(item["age"] + draw.randint(-3, 3), 18), 100)
        if isinstance(item.get("nerve_conduction"), dict):
            copy["nerve_conduction"] = {
                side: {name: _measured_again(result, draw) for name, result in results.items()}
                for side, results in item["nerve_conduction"].items()
            }
        made.append(copy)
    return made


def _write(folder: Path, data: list[dict[str, Any]]) -> tuple[Path, Path, Path]:
    as_json, as_yaml, as_lines = folder / "json", folder / "yaml", folder / "lines"
    for made in (as_json, as_yaml, as_lines):
        made.mkdir()
    blobs = [orjson.dumps(item) for item in _copies(data, CASES)]
    for number, blob in enumerate(blobs):
        (as_json / f"case{number:06}.json").write_bytes(blob)
    for number, item in enumerate(_copies(data, YAML_CASES)):
        (as_yaml / f"case{number:06}.yaml").write_text(yaml.safe_dump(item, sort_keys=False))
    (as_lines / "cases.jsonl").write_bytes(b"\n".join(blobs) + b"\n")
    return as_json, as_yaml, as_lines


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} cases/s"


def _verdict(rate: float, jobs: int) -> str:
    """The target is for the command as it runs by default, a process a core (`--jobs 0`);
    a run with fewer processes is shown beside it, not judged."""
    if jobs < default_workers():
        return f"(not judged: the command runs {default_workers()} processes by default)"
    return f"(target >= {TARGET:,}: {'met' if rate >= TARGET else 'NOT met'})"


def _in_process(folder: Path, count: int, label: str, jobs: int = 1, judged: bool = True) -> None:
    runner = CliRunner()
    args = ["assess", "--batch", str(folder), "--json", "--jobs", str(jobs)]
    label = f"{label}, {jobs} process{'es' if jobs > 1 else ''}"
    runner.invoke(app, args)  # warm the file cache and the compiled knowledge base
    runs = []
    for _ in range(REPEATS if jobs == 1 else WALL_REPEATS):
        before = os.times()
        cpu, wall, result = _timed(lambda: runner.invoke(app, args))
        after = os.times()
        assert result.exit_code == 0, result.output[-500:]
        workers = (after.children_user + after.children_system) - (
            before.children_user + before.children_system
        )
        runs.append((cpu, wall, workers))
    cpu, wall, workers = min(runs, key=lambda run: run[0] if jobs == 1 else run[1])
    verdict = "  (YAML: not held to the target)" if not judged else ""
    if jobs == 1:
        if judged:
            verdict = f"  {_verdict(count / cpu, jobs)}"
        print(f"  {label}, in process: {_rate(count, cpu)} CPU, {_rate(count, wall)} wall{verdict}")
        return
    print(
        f"  {label}, in process: {_rate(count, wall)} wall (best of {WALL_REPEATS}), "
        f"{_rate(count, cpu + workers)} per CPU second of all processes  "
        f"{_verdict(count / wall, jobs)}"
    )


def _subprocess(folder: Path, one: Path, count: int, label: str, jobs: int) -> None:
    command = [sys.executable, "-c", PEAK_TOLD, "assess", "--jobs", str(jobs), "--batch"]
    label = f"{label}, {jobs} process{'es' if jobs > 1 else ''}"
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    def run(target: Path) -> tuple[float, int]:
        """Wall seconds, and the command's peak memory in KiB."""
        start = time.perf_counter()
        done = subprocess.run(
            [*command, str(target), "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=environment,
        )
        seconds = time.perf_counter() - start
        return seconds, int(done.stderr.split(b"VmHWM:")[-1].split()[0])

    runs = [(run(one), run(folder)) for _ in range(SUBPROCESS_REPEATS)]
    base, base_memory = min(one_case for one_case, _ in runs)
    total, memory = min(batch for _, batch in runs)
    steady = (count - 1) / max(total - base, 1e-9)
    print(
        f"  {label}, subprocess: {total:.2f} s for {count:,} cases ({_rate(count, total)} "
        f"including {base:.2f} s of start-up, knowledge base and its compiled tables, timed "
        f"as a batch of one case; best of {SUBPROCESS_REPEATS} each, side by side); "
        f"steady {steady:,.0f} cases/s  "
        f"{_verdict(steady, jobs)}; "
        f"peak memory {memory / 1024:,.0f} MiB (a batch of one case: {base_memory / 1024:,.0f}; "
        "worker processes not counted)"
    )


PEAK_TOLD = (
    "import os, sys, types\n"
    "from plexcare.cli import main\n"
    "def told(status):\n"
    "    sys.stderr.write(open('/proc/self/status').read())\n"
    "    sys.stderr.flush()\n"
    "    os._exit(status)\n"
    "main.os = types.SimpleNamespace(_exit=told)\n"
    "sys.argv[0] = 'plexcare'\n"
    "main.run()\n"
)
"""The `plexcare` script that writes its process's status, with its peak memory (VmHWM), to
standard error as it ends (at once, after `assess`: `cli.main.run`): a child's own
`ru_maxrss` counts the benchmark's memory, which it held from the fork until it started the
command."""


Step = Callable[[str, Callable[[], Any]], Any]


def _steps(lines: Path) -> dict[str, float]:
    """CPU seconds of each step of `assess --batch` over the JSON Lines file, as it runs
    them, and of the path it replaced."""
    spent: dict[str, float] = {}

    def step(name: str, run: Callable[[], Result]) -> Result:
        cpu, _, result = _timed(run)
        spent[name] = cpu
        return result

    with collection_paused(), threadpool_limits(limits=1, user_api="blas"):
        entries = step("list the file's lines", lambda: entries_of(case_sources(lines)))
        texts = [entry.text or b"" for entry in entries]
        _read_and_assess(texts, [entry.where for entry in entries], step)
        _before(texts, step)
    return spent


def _read_and_assess(texts: list[bytes], wheres: list[str], step: Step) -> None:
    kb = knowledge_base()
    twins = step("validate each case's JSON (the twin)", lambda: [case_input(t) for t in texts])
    batch = CaseDataBatch(kb)

    def read() -> None:
        for data in twins:
            batch.add(data)

    def declined() -> None:
        for row in batch.to_read_as_cases():
            batch.read_as_case(row, read_case(wheres[row], texts[row]))

    step("read the cases' data into the batch", read)
    step("read the declined cases by Case", declined)
    evidence = step("the batch's arrays (observations, features)", batch.evidence)
    answers = step("score site and cause", lambda: batch.assess(evidence))
    rows = step("leading answers per row", lambda: leading_answers(answers))
    step("JSON output", lambda: orjson.dumps(rows, option=orjson.OPT_INDENT_2))


def _before(texts: list[bytes], step: Step) -> None:
    kb = knowledge_base()
    cases = step("before: validate into Case models", lambda: [read_case("", t) for t in texts])
    step("before: assess_batch (observe, features, score)", lambda: assess_batch(cases, kb))


def _print_steps(lines: Path) -> None:
    runs = [_steps(lines) for _ in range(REPEATS)]
    best = {name: min(run[name] for run in runs) for name in runs[0]}
    print("  where the time goes (one JSON Lines file, CPU, best of three):")
    for name, seconds in best.items():
        print(f"    {name}: {seconds / CASES * 1e6:.1f} us a case")
    now = sum(seconds for name, seconds in best.items() if not name.startswith("before"))
    print(f"    all steps: {now / CASES * 1e6:.1f} us a case ({_rate(CASES, now)})")


def main() -> None:
    texts = [path.read_text() for folder in SOURCES for path in sorted(folder.glob("*.yaml"))]
    data = [orjson.loads(orjson.dumps(yaml.safe_load(text), default=str)) for text in texts]
    print(
        f"assess --batch from files ({CASES:,} JSON cases; {YAML_CASES:,} YAML; the target is "
        "for JSON and JSON Lines)"
    )
    with tempfile.TemporaryDirectory(prefix="plexcare-batch-") as temporary:
        folder = Path(temporary)
        as_json, as_yaml, as_lines = _write(folder, data)
        one = folder / "one"
        one.mkdir()
        (one / "case.json").write_bytes(orjson.dumps(data[0]))
        cores = default_workers()
        for jobs in sorted({1, cores}, reverse=True):
            _in_process(as_lines, CASES, "one JSON Lines file", jobs)
            _in_process(as_json, CASES, "JSON files", jobs)
        _in_process(as_yaml, YAML_CASES, "YAML files", judged=False)
        _print_steps(as_lines / "cases.jsonl")
        for jobs in sorted({1, cores}):
            _subprocess(as_lines / "cases.jsonl", one, CASES, "one JSON Lines file", jobs)
            _subprocess(as_json, one, CASES, "JSON files", jobs)


if __name__ == "__main__":
    main()
