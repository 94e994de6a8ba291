"""`plexcare assess --batch` from files: cases/s with reading, parsing and validation included.

Target (issue 14, item 4): at least 20,000 cases/s from the files' contents. The example cases
and vignettes are written N times over to a temporary folder, as one JSON file per case, as one
JSON Lines file, and (fewer, since YAML is slow to parse) as YAML files; the command is then
timed in this process (no start-up) and as a subprocess (start-up and the knowledge base load
included, then subtracted with an empty folder to give the steady rate). Where the time goes is
printed step by step: listing and reading the files, YAML parsing, JSON parsing and validation,
the batch assessment and the output rows. One process is timed in CPU seconds (the machine is
shared); a batch over all cores (`--jobs`), and every subprocess, in wall seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
import yaml
from typer.testing import CliRunner

from plexcare.cli.assess_batch import collection_paused, default_workers, file_bytes
from plexcare.cli.main import app
from plexcare.engine.case import Case
from plexcare.engine.case_batch import assess_read_cases, leading_answers, read_case
from plexcare.knowledge.loader import knowledge_base

ROOT = Path(__file__).parents[1]
SOURCES = (ROOT / "examples" / "cases", ROOT / "tests" / "engine" / "vignettes")
CASES = 20_000
YAML_CASES = 2_000
TARGET = 20_000
Result = TypeVar("Result")


def _timed(run: Callable[[], Result]) -> tuple[float, float, Result]:
    """(CPU seconds, wall seconds, result) of one run."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = run()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def _write(folder: Path, texts: list[str], data: list[dict[str, Any]]) -> tuple[Path, Path, Path]:
    as_json, as_yaml, as_lines = folder / "json", folder / "yaml", folder / "lines"
    for made in (as_json, as_yaml, as_lines):
        made.mkdir()
    blobs = [orjson.dumps(item) for item in data]
    for number in range(CASES):
        (as_json / f"case{number:06}.json").write_bytes(blobs[number % len(blobs)])
    for number in range(YAML_CASES):
        (as_yaml / f"case{number:06}.yaml").write_text(texts[number % len(texts)])
    (as_lines / "cases.jsonl").write_bytes(
        b"\n".join(blobs[number % len(blobs)] for number in range(CASES)) + b"\n"
    )
    return as_json, as_yaml, as_lines


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} cases/s"


def _verdict(rate: float) -> str:
    return f"(target >= {TARGET:,}: {'met' if rate >= TARGET else 'NOT met'})"


def _in_process(folder: Path, count: int, label: str, jobs: int = 1) -> float:
    runner = CliRunner()
    args = ["assess", "--batch", str(folder), "--json", "--jobs", str(jobs)]
    label = f"{label}, {jobs} process{'es' if jobs > 1 else ''}"
    runner.invoke(app, args)  # warm the file cache and the compiled knowledge base
    before = os.times()
    cpu, wall, result = _timed(lambda: runner.invoke(app, args))
    after = os.times()
    assert result.exit_code == 0, result.output[-500:]
    workers_cpu = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    if jobs == 1:
        print(
            f"  {label}, in process: {_rate(count, cpu)} CPU, {_rate(count, wall)} wall  "
            f"{_verdict(count / cpu)}"
        )
        return count / cpu
    print(
        f"  {label}, in process: {_rate(count, wall)} wall, "
        f"{_rate(count, cpu + workers_cpu)} per CPU second of all processes  "
        f"{_verdict(count / wall)}"
    )
    return count / wall


def _subprocess(folder: Path, empty: Path, count: int, label: str, jobs: int) -> None:
    command = [sys.executable, "-m", "plexcare.cli", "assess", "--jobs", str(jobs), "--batch"]
    label = f"{label}, {jobs} process{'es' if jobs > 1 else ''}"
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    def run(target: Path) -> float:
        start = time.perf_counter()
        subprocess.run(
            [*command, str(target), "--json"],
            check=True,
            stdout=subprocess.DEVNULL,
            env=environment,
        )
        return time.perf_counter() - start

    base = min(run(empty) for _ in range(2))
    total = min(run(folder) for _ in range(2))
    steady = count / max(total - base, 1e-9)
    print(
        f"  {label}, subprocess: {total:.2f} s for {count:,} cases ({_rate(count, total)} "
        f"including {base:.2f} s of start-up and knowledge base); steady "
        f"{steady:,.0f} cases/s  {_verdict(steady)}"
    )


def _steps(as_json: Path, as_yaml: Path) -> None:
    """Where the time goes, step by step, as `assess --batch` runs them."""
    kb = knowledge_base()
    with collection_paused():
        list_cpu, _, paths = _timed(lambda: sorted(as_json.iterdir()))
        read_cpu, _, blobs = _timed(lambda: [file_bytes(str(path)) for path in paths])
        yaml_paths = sorted(as_yaml.iterdir())
        yaml_read_cpu, _, texts = _timed(lambda: [file_bytes(str(path)) for path in yaml_paths])
        yaml_cpu, _, data = _timed(
            lambda: [yaml.load(text, Loader=yaml.CSafeLoader) for text in texts]
        )
        json_cpu, _, _ = _timed(lambda: [orjson.loads(blob) for blob in blobs])
        cases_cpu, _, cases = _timed(
            lambda: [read_case(str(path), blob) for path, blob in zip(paths, blobs, strict=True)]
        )
        dicts_cpu, _, _ = _timed(lambda: [read_case("", item) for item in data])
        wheres = [str(path) for path in paths]
        assess_read_cases(cases[:100], wheres[:100], kb)
        assess_cpu, _, results = _timed(lambda: assess_read_cases(cases, wheres, kb))
        rows_cpu, _, rows = _timed(lambda: leading_answers(results))
        out_cpu, _, _ = _timed(lambda: orjson.dumps(rows, option=orjson.OPT_INDENT_2))
    _, _, collected = _timed(lambda: [Case.model_validate(item) for item in data])
    gc_cpu, _, _ = _timed(lambda: [Case.model_validate(item) for item in data * 10])
    n, ny = len(paths), len(yaml_paths)
    total = list_cpu + read_cpu + cases_cpu + assess_cpu + rows_cpu + out_cpu
    print("  where the time goes (JSON files, CPU):")
    for step, seconds, count in (
        ("list the folder", list_cpu, n),
        ("read the files", read_cpu, n),
        ("parse JSON alone (orjson, for comparison)", json_cpu, n),
        ("parse and validate JSON into cases (Case.model_validate_json)", cases_cpu, n),
        ("assess the batch (names checked, site and cause)", assess_cpu, n),
        ("leading answers per row", rows_cpu, n),
        ("JSON output", out_cpu, n),
        ("YAML files: read", yaml_read_cpu, ny),
        ("YAML files: parse (CSafeLoader)", yaml_cpu, ny),
        ("YAML files: validate the parsed data", dicts_cpu, ny),
        ("validation with the cycle collector running", gc_cpu, ny * 10),
    ):
        print(f"    {step}: {_rate(count, seconds)} ({seconds / count * 1e6:.1f} us a case)")
    share = (list_cpu + read_cpu) / total
    print(f"    file listing and reading: {share:.0%} of the JSON batch")
    assert len(collected) == ny


def main() -> None:
    texts = [path.read_text() for folder in SOURCES for path in sorted(folder.glob("*.yaml"))]
    data = [yaml.safe_load(text) for text in texts]
    data = [orjson.loads(orjson.dumps(item, default=str)) for item in data]
    print(f"assess --batch from files ({CASES:,} JSON cases; {YAML_CASES:,} YAML)")
    with tempfile.TemporaryDirectory(prefix="plexcare-batch-") as temporary:
        folder = Path(temporary)
        empty = folder / "empty"
        empty.mkdir()
        as_json, as_yaml, as_lines = _write(folder, texts, data)
        _steps(as_json, as_yaml)
        cores = default_workers()
        for jobs in sorted({1, cores}):
            _in_process(as_json, CASES, "JSON files", jobs)
            _in_process(as_lines, CASES, "one JSON Lines file", jobs)
        _in_process(as_yaml, YAML_CASES, "YAML files")
        for jobs in sorted({1, cores}):
            _subprocess(as_json, empty, CASES, "JSON files", jobs)
            _subprocess(as_lines / "cases.jsonl", empty, CASES, "one JSON Lines file", jobs)


if __name__ == "__main__":
    main()
