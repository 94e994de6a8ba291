"""`plexcare kb` as a clinician or knowledge editor uses it from a terminal."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from plexcare import __version__
from plexcare.cli.main import app
from plexcare.knowledge.loader import DATA_DIR

runner = CliRunner()


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_kb_check_prints_the_counts_and_succeeds() -> None:
    result = runner.invoke(app, ["kb", "check"])
    assert result.exit_code == 0, result.output
    for kind in ("muscles", "disorders", "nerve-conduction studies", "treatments", "references"):
        assert kind in result.output


def test_kb_show_muscle_writes_out_roots_nerve_and_sources() -> None:
    result = runner.invoke(app, ["kb", "show", "muscle", "tibialis_posterior"])
    assert result.exit_code == 0, result.output
    assert "L5" in result.output
    assert "tibial_in_leg" in result.output
    assert "Preston" in result.output or "Guarantors" in result.output


def test_kb_show_root_lists_the_muscles_it_supplies() -> None:
    result = runner.invoke(app, ["kb", "show", "root", "L5"])
    assert result.exit_code == 0, result.output
    assert "tibialis_anterior" in result.output


def test_kb_show_other_kinds() -> None:
    for kind, entry in (
        ("nerve", "lumbosacral_trunk"),
        ("study", "sural_snap"),
        ("disorder", "diabetic_lumbosacral_radiculoplexus_neuropathy"),
    ):
        result = runner.invoke(app, ["kb", "show", kind, entry])
        assert result.exit_code == 0, (kind, result.output)


def test_an_unknown_entry_suggests_close_names_and_exits_2() -> None:
    result = runner.invoke(app, ["kb", "show", "muscle", "tibialis_posterier"])
    assert result.exit_code == 2
    assert "tibialis_posterior" in result.output


def test_a_corrupted_file_gives_one_clear_message_and_exit_2_without_traceback(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    muscles = data / "anatomy" / "muscles.yaml"
    text = muscles.read_text()
    muscles.write_text(text.replace("movement: ankle_inversion", "movement: ankle_levitation", 1))
    completed = subprocess.run(
        [sys.executable, "-m", "plexcare.cli", "kb", "check", "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 2
    assert "anatomy/muscles.yaml" in output
    assert "tibialis_posterior" in output
    assert "movement" in output
    assert "Traceback" not in output
