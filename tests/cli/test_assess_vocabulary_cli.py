"""`plexcare assess` reads the issue-11 vocabulary and refuses contradictions by field name."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from plexcare.cli.main import app

runner = CliRunner()
VIGNETTES = Path(__file__).parents[2] / "tests" / "engine" / "vignettes"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(text)
    return path


def test_assess_reads_cancer_status_radiotherapy_region_and_the_new_history(
    tmp_path: Path,
) -> None:
    result = runner.invoke(
        app, ["assess", str(VIGNETTES / "sacral_insufficiency_after_radiotherapy.yaml"), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["etiology"][0]["disorder"] == "sacral_insufficiency_fracture"


def test_a_cancer_site_with_status_none_is_refused_naming_the_field(tmp_path: Path) -> None:
    case = _write(
        tmp_path,
        "age: 60\nsex: female\nhistory: {cancer: {status: none, site: breast}}\n",
    )
    result = runner.invoke(app, ["assess", str(case)])
    assert result.exit_code == 2
    assert "history.cancer" in result.output
    assert "Traceback" not in result.output


def test_pregnancy_recorded_for_a_man_is_refused_naming_the_field(tmp_path: Path) -> None:
    case = _write(tmp_path, "age: 30\nsex: male\nhistory: {pregnant: true}\n")
    result = runner.invoke(app, ["assess", str(case)])
    assert result.exit_code == 2
    assert "history.pregnant" in result.output
