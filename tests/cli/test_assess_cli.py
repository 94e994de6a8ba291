"""`plexcare assess`, `plexcare triage` and `plexcare schema case` as used from a terminal."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from plexcare.cli.assess import case_schema_json
from plexcare.cli.main import app
from plexcare.engine.case import Case

runner = CliRunner()
ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "cases"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_assess_prints_a_report_a_clinician_reads() -> None:
    result = runner.invoke(
        app,
        ["assess", str(EXAMPLES / "pan_plexus_haematoma_anticoagulated.yaml")],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    for heading in (
        "Red flags",
        "Where is the lesion?",
        "lumbosacral plexopathy",
        "What is causing it?",
        "Work-up not yet done",
        "Treatment plan",
        "MRC sum score",
    ):
        assert heading in result.output
    assert "haematoma" in result.output
    assert "█" in result.output


def test_assess_json_is_machine_readable() -> None:
    result = runner.invoke(app, ["assess", str(EXAMPLES / "psoas_abscess.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["etiology"][0]["disorder"] == "psoas_abscess_plexopathy"
    assert data["red_flags"][0]["urgency"] == "emergency"


def test_batch_json_gives_one_row_per_case_file() -> None:
    result = runner.invoke(app, ["assess", "--batch", str(EXAMPLES), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == len(list(EXAMPLES.glob("*.yaml")))
    by_file = {row["file"]: row for row in rows}
    assert by_file["cidp.yaml"]["etiology"][0]["disorder"] == "cidp"


def test_an_out_of_range_value_names_the_field_and_exits_2(tmp_path: Path) -> None:
    path = _write(tmp_path, "case.yaml", "age: 200\nsex: male\n")
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    assert "field 'age'" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_key_names_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "case.yaml", "age: 50\nsex: male\nsymptoms: {fevr: true}\n")
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    assert "symptoms.fevr" in result.output


def test_an_unknown_muscle_names_the_field_and_suggests_a_match(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "case.yaml",
        "age: 50\nsex: male\nexam: {left: {strength: {tibialis_anteror: 3}}}\n",
    )
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    assert "tibialis_anteror" in result.output
    assert "tibialis_anterior" in result.output
    assert "Traceback" not in result.output


def test_a_missing_file_or_bad_yaml_exits_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["assess", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    broken = _write(tmp_path, "bad.yaml", "age: [50\n")
    result = runner.invoke(app, ["assess", str(broken)])
    assert result.exit_code == 2 and "not valid YAML" in result.output


def test_a_binary_file_given_as_a_case_exits_2_without_a_traceback(tmp_path: Path) -> None:
    binary = tmp_path / "scan.yaml"
    binary.write_bytes(b"\x7fELF\xff\xfe\x00\x01")
    result = runner.invoke(app, ["assess", str(binary)])
    assert result.exit_code == 2
    assert "not a text file" in result.output
    assert "Traceback" not in result.output


def test_a_bad_case_in_a_batch_names_its_file(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "age: 50\nsex: male\n")
    _write(tmp_path, "b.yaml", "age: 50\nsex: robot\n")
    result = runner.invoke(app, ["assess", "--batch", str(tmp_path), "--json"])
    assert result.exit_code == 2
    assert "b.yaml" in result.output and "field 'sex'" in result.output


def test_triage_gives_emergency_advice_for_saddle_numbness(tmp_path: Path) -> None:
    path = _write(tmp_path, "answers.yaml", "saddle_numbness: yes\npain_score: 6\n")
    result = runner.invoke(app, ["triage", str(path)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Go to an emergency department now" in result.output
    assert "emergency department" in result.output
    as_json = runner.invoke(app, ["triage", str(path), "--json"])
    assert json.loads(as_json.output)["urgency"] == "emergency"


def test_triage_names_blank_warning_questions_instead_of_reassuring(tmp_path: Path) -> None:
    path = _write(tmp_path, "answers.yaml", "numbness: yes\nleg_weakness: none\n")
    result = runner.invoke(app, ["triage", str(path)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "We cannot rule out an emergency" in result.output
    assert "saddle numbness" in result.output
    assert "anything urgent" not in result.output
    payload = json.loads(runner.invoke(app, ["triage", str(path), "--json"]).output)
    assert "saddle_numbness" in payload["unanswered_warnings"]


def test_triage_rejects_an_unknown_question_naming_it(tmp_path: Path) -> None:
    path = _write(tmp_path, "answers.yaml", "sadle_numbness: yes\n")
    result = runner.invoke(app, ["triage", str(path)])
    assert result.exit_code == 2
    assert "sadle_numbness" in result.output and "saddle_numbness" in result.output


def test_schema_case_prints_the_case_json_schema() -> None:
    result = runner.invoke(app, ["schema", "case"])
    assert result.exit_code == 0
    assert json.loads(result.output) == Case.model_json_schema()


def test_the_stored_case_schema_is_up_to_date() -> None:
    stored = (ROOT / "schemas" / "case.schema.json").read_text()
    assert stored == case_schema_json(), (
        "regenerate: plexcare schema case > schemas/case.schema.json"
    )


def test_assess_without_a_case_or_batch_says_what_to_give() -> None:
    result = runner.invoke(app, ["assess"])
    assert result.exit_code == 2
    assert "give a case file" in result.output
