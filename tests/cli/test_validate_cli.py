"""`plexcare validate`: the engine scored on the validation vignettes, from a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from plexcare.cli.main import app

runner = CliRunner()
ROOT = Path(__file__).parents[2]
TABLE = ROOT / "tests" / "engine" / "vignettes" / "expected" / "answers.yaml"


def _table(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(rows))
    return path


def test_validate_reports_every_figure_and_meets_the_targets() -> None:
    result = runner.invoke(app, ["validate", "--root", str(ROOT)])
    assert result.exit_code == 0, result.output
    for line in (
        "validation vignettes: 79",
        "top-1 localization (site and side): 100.0%",
        "plexopathy agreement:",
        "cause in top 2:",
        "red-flag recall:",
        "confident (>= 90 %) and wrong:      0",
        "Brier",
        "ECE",
        "target top-1 localization >= 90 %: met",
    ):
        assert line in result.output, line


def test_validate_json_lists_each_vignette_with_its_leader(tmp_path: Path) -> None:
    rows = yaml.safe_load(TABLE.read_text())[:3]
    result = runner.invoke(
        app, ["validate", "--root", str(ROOT), "--table", str(_table(tmp_path, rows)), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["count"] == 3
    assert [v["file"] for v in payload["vignettes"]] == [row["file"] for row in rows]
    assert all(v["passed"] for v in payload["vignettes"])


def test_a_wrong_expected_answer_is_reported_as_a_miss_and_fails(tmp_path: Path) -> None:
    row = next(r for r in yaml.safe_load(TABLE.read_text()) if "iliacus" in r["file"])
    row = {**row, "sites": ["sciatic_at_notch"]}
    result = runner.invoke(
        app, ["validate", "--root", str(ROOT), "--table", str(_table(tmp_path, [row]))]
    )
    assert result.exit_code == 1
    assert "MISS iliacus_haematoma_warfarin.yaml: femoral_in_pelvis@right" in result.output
    assert "target top-1 localization >= 90 %: NOT met" in result.output


def test_a_confident_wrong_answer_is_counted_against_its_target(tmp_path: Path) -> None:
    row = next(r for r in yaml.safe_load(TABLE.read_text()) if "central_disc" in r["file"])
    row = {**row, "sites": ["root_s1"], "side": "right"}
    result = runner.invoke(
        app, ["validate", "--root", str(ROOT), "--table", str(_table(tmp_path, [row]))]
    )
    assert result.exit_code == 1
    assert "confident (>= 90 %) and wrong:      1" in result.output
    assert "target no confident-and-wrong answer: NOT met" in result.output


def test_a_missing_case_file_is_a_clear_error(tmp_path: Path) -> None:
    rows = [{"file": "tests/engine/vignettes/no_such_case.yaml", "sites": ["root_l5"]}]
    result = runner.invoke(
        app, ["validate", "--root", str(ROOT), "--table", str(_table(tmp_path, rows))]
    )
    assert result.exit_code == 2
    assert "no_such_case.yaml: no such file" in result.output


def test_synthetic_calibration_is_shown_before_and_after_tempering() -> None:
    result = runner.invoke(app, ["validate", "--root", str(ROOT), "--synthetic", "200"])
    assert result.exit_code == 0, result.output
    assert "synthetic held-out, untempered" in result.output
    assert "synthetic held-out, tempered" in result.output
