"""The `plexcare` script as a shell runs it: `assess` ends its process at once (no teardown),
with all its output written and the exit status the command gave."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

EXAMPLES = Path(__file__).parents[2] / "examples" / "cases"
TOLD_AT_EXIT = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('teardown ran', file=sys.stderr, flush=True))\n"
    "sys.stdout.write(sys.argv.pop(1))\n"
    "sys.argv[0] = 'plexcare'\n"
    "runpy.run_module('plexcare.cli', run_name='__main__')\n"
)
"""`python -m plexcare.cli` that says so on standard error if Python's own ending runs, and
first writes its first argument to standard output without flushing it (a pipe's buffer
holds it until someone does)."""


def _plexcare(*args: str, written_first: str = "") -> subprocess.CompletedProcess[str]:
    """The script's run, its standard output buffered as a shell's pipe has it (this machine's
    environment may ask Python for unbuffered output, which would flush it for the script)."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-c", TOLD_AT_EXIT, written_first, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )


def test_one_case_is_printed_whole_and_the_process_ends_at_once() -> None:
    case = sorted(EXAMPLES.glob("*.yaml"))[0]
    done = _plexcare("assess", str(case), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["localization"]
    assert "teardown ran" not in done.stderr


def test_a_batch_is_printed_whole(tmp_path: Path) -> None:
    cases = sorted(EXAMPLES.glob("*.yaml"))
    lines = tmp_path / "cases.jsonl"
    lines.write_text(
        "\n".join(json.dumps(yaml.safe_load(path.read_text()), default=str) for path in cases)
    )
    done = _plexcare("assess", "--batch", str(lines), "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == len(cases)
    assert "teardown ran" not in done.stderr


def test_a_bad_case_still_exits_2_naming_its_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"age": "forty", "sex": "female"}))
    done = _plexcare("assess", str(bad), written_first="assessing bad.json\n")
    assert done.returncode == 2
    assert "age" in done.stderr and "bad.json" in done.stderr
    assert done.stdout == "assessing bad.json\n"  # flushed before the process ended


def test_other_commands_end_as_python_ends_them() -> None:
    done = _plexcare("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("plexcare ")
    assert "teardown ran" in done.stderr
