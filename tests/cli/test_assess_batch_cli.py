"""`plexcare assess --batch` over YAML, JSON and JSON Lines: one answer whatever the format,
and a bad case stops the batch naming its file (and line) and field, with exit status 2."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from plexcare.cli import assess_batch
from plexcare.cli.main import app

runner = CliRunner()
EXAMPLES = Path(__file__).parents[2] / "examples" / "cases"


def _examples() -> dict[str, Any]:
    return {
        path.stem: json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        for path in sorted(EXAMPLES.glob("*.yaml"))
    }


def _batch(target: Path, *extra: str) -> Any:
    result = runner.invoke(app, ["assess", "--batch", str(target), *extra])
    return result


def _answers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key != "file"} for row in rows]


def test_json_files_and_json_lines_answer_as_the_yaml_cases_do(tmp_path: Path) -> None:
    from_yaml = json.loads(_batch(EXAMPLES, "--json").output)
    as_json, as_lines = tmp_path / "json", tmp_path / "lines"
    as_json.mkdir()
    as_lines.mkdir()
    cases = _examples()
    for stem, data in cases.items():
        (as_json / f"{stem}.json").write_text(json.dumps(data))
    (as_lines / "cases.jsonl").write_text(
        "\n".join(json.dumps(data) for data in cases.values()) + "\n\n"
    )
    from_json = json.loads(_batch(as_json, "--json").output)
    from_lines = json.loads(_batch(as_lines, "--json").output)
    assert _answers(from_json) == _answers(from_yaml)
    assert _answers(from_lines) == _answers(from_yaml)
    assert [row["file"] for row in from_json] == [f"{stem}.json" for stem in cases]
    assert [row["file"] for row in from_lines] == [
        f"cases.jsonl:{number}" for number in range(1, len(cases) + 1)
    ]


def test_a_json_lines_file_can_be_given_directly(tmp_path: Path) -> None:
    lines = tmp_path / "clinic.jsonl"
    lines.write_text('{"age": 50, "sex": "male"}\n{"age": 61, "sex": "female", "id": "b"}\n')
    result = _batch(lines, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["case_id"] for row in rows] == [None, "b"]


def test_a_bad_line_names_its_file_line_and_field(tmp_path: Path) -> None:
    lines = tmp_path / "clinic.jsonl"
    lines.write_text('{"age": 50, "sex": "male"}\n\n{"age": 50, "sex": "male", "bmi": 4}\n')
    result = _batch(lines)
    assert result.exit_code == 2
    assert "clinic.jsonl:3: field 'bmi'" in result.output
    assert "Traceback" not in result.output


def test_a_line_nested_too_deep_for_a_parser_is_named_not_raised(tmp_path: Path) -> None:
    """msgspec refuses JSON some thousand brackets deep with `RecursionError` (not one of its
    own errors): a history read whole can hold any JSON, so a line may go that deep."""
    deep = b"[" * 5_000 + b"]" * 5_000
    (tmp_path / "clinic.jsonl").write_bytes(
        b'{"age": 50, "sex": "male"}\n{"age": 50, "sex": "female", "history": {"cancer": '
        + deep
        + b"}}\n"
    )
    result = _batch(tmp_path)
    assert result.exit_code == 2
    assert "clinic.jsonl:2: not valid JSON" in result.output
    assert "Traceback" not in result.output


def test_a_line_that_is_not_json_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "clinic.jsonl").write_text('{"age": 50, "sex": "male"}\nage: 50\n')
    result = _batch(tmp_path)
    assert result.exit_code == 2
    assert "clinic.jsonl:2: not valid JSON" in result.output


def test_a_json_file_written_as_yaml_is_still_read(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("age: 50\nsex: female\nid: written-as-yaml\n")
    result = _batch(tmp_path, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["case_id"] == "written-as-yaml"


def test_an_unknown_muscle_in_a_batch_names_the_file_that_has_it(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"age": 50, "sex": "male"}')
    (tmp_path / "b.json").write_text(
        '{"age": 50, "sex": "male", "exam": {"left": {"strength": {"tibialis_anteror": 3}}}}'
    )
    (tmp_path / "c.yaml").write_text("age: 50\nsex: male\nemg: {left: {psoaz: {}}}\n")
    result = _batch(tmp_path)
    assert result.exit_code == 2
    assert "b.json: field 'exam.left.strength.tibialis_anteror'" in result.output
    assert "tibialis_anterior" in result.output


def test_the_text_report_gives_one_line_per_case(tmp_path: Path) -> None:
    result = _batch(EXAMPLES)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(list(EXAMPLES.glob("*.yaml")))
    assert any(line.startswith("cidp.yaml: ") for line in lines)


def test_an_empty_folder_gives_an_empty_batch(tmp_path: Path) -> None:
    result = _batch(tmp_path, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []


def test_a_file_that_is_not_json_lines_is_not_a_batch(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("age: 50\nsex: male\n")
    result = _batch(case)
    assert result.exit_code == 2
    assert "not a folder" in result.output


def test_the_cycle_collector_runs_again_after_a_batch(tmp_path: Path) -> None:
    assert gc.isenabled()
    _batch(EXAMPLES, "--json")
    assert gc.isenabled()
    (tmp_path / "bad.json").write_text('{"age": -1, "sex": "male"}')
    assert _batch(tmp_path).exit_code == 2
    assert gc.isenabled()


def _clinic_lines(tmp_path: Path, count: int) -> Path:
    cases = list(_examples().values())
    lines = tmp_path / "clinic.jsonl"
    lines.write_text("\n".join(json.dumps(cases[row % len(cases)]) for row in range(count)))
    return lines


def test_a_batch_split_over_processes_gives_the_rows_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assess_batch, "CASES_PER_WORKER", 10)
    lines = _clinic_lines(tmp_path, 45)
    alone = _batch(lines, "--json", "--jobs", "1")
    shared = _batch(lines, "--json", "--jobs", "3")
    assert alone.exit_code == shared.exit_code == 0, shared.output
    assert json.loads(shared.output) == json.loads(alone.output)
    assert len(json.loads(shared.output)) == 45


@pytest.mark.parametrize(
    ("split", "cases", "unknown", "refused", "extra"),
    [
        (("CASES_PER_WORKER", 10), 40, 17, 33, ["--jobs", "2"]),
        (("CASES_A_CHUNK", 5), 30, 7, 12, ["--json"]),
    ],
    ids=["over-processes", "in-chunks"],
)
def test_a_split_batch_names_the_first_bad_case_in_file_order(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    split: tuple[str, int],
    cases: int,
    unknown: int,
    refused: int,
    extra: list[str],
) -> None:
    monkeypatch.setattr(assess_batch, *split)
    lines = _clinic_lines(tmp_path, cases).read_text().splitlines()
    lines[unknown] = '{"age": 50, "sex": "male", "emg": {"left": {"psoaz": {}}}}'
    lines[refused] = '{"age": 50, "sex": "robot"}'
    (tmp_path / "clinic.jsonl").write_text("\n".join(lines))
    result = _batch(tmp_path / "clinic.jsonl", *extra)
    assert result.exit_code == 2
    assert f"clinic.jsonl:{unknown + 1}: field 'emg.left.psoaz'" in result.output
    assert "robot" not in result.output
    assert result.stdout_bytes == b""


def test_an_unknown_name_before_a_refused_field_is_the_one_named(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("age: 50\nsex: male\nemg: {left: {psoaz: {}}}\n")
    (tmp_path / "b.json").write_text('{"age": 500, "sex": "male"}')
    result = _batch(tmp_path)
    assert result.exit_code == 2
    assert "a.yaml: field 'emg.left.psoaz'" in result.output


def test_a_folder_named_like_a_case_file_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"age": 50, "sex": "male"}')
    (tmp_path / "b.json").mkdir()
    result = _batch(tmp_path)
    assert result.exit_code == 2
    assert "b.json: is a folder" in result.output


def test_every_row_is_what_assess_prints_for_its_case(tmp_path: Path) -> None:
    cases = _examples()
    (tmp_path / "clinic.jsonl").write_text("\n".join(json.dumps(c) for c in cases.values()))
    rows = json.loads(_batch(tmp_path / "clinic.jsonl", "--json").output)
    for row, path in zip(rows, sorted(EXAMPLES.glob("*.yaml")), strict=True):
        alone = json.loads(runner.invoke(app, ["assess", str(path), "--json"]).output)
        assert row["case_id"] == alone["case_id"]
        assert row["plexopathy_probability"] == alone["plexopathy_probability"]
        assert row["localization"] == [
            {key: site[key] for key in ("key", "title", "probability")}
            for site in alone["localization"][:3]
        ]
        assert row["etiology"] == [
            {key: cause[key] for key in ("disorder", "name", "probability")}
            for cause in alone["etiology"][:3]
        ]


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ('{"age": "old", "sex": "male"}', "clinic.jsonl:157: field 'age'"),
        (
            '{"age": 50, "sex": "male", "history": {"pregnant": true}}',
            "clinic.jsonl:157: field '(top level)': Value error, history.pregnant",
        ),
        (
            '{"age": 50, "sex": "male", "emg": {"left": {"psoaz": {"fibrillations": 2}}}}',
            "clinic.jsonl:157: field 'emg.left.psoaz'",
        ),
        ('{"age": 50, "sex": "male", "labs": {"crp": -3}}', "clinic.jsonl:157: field 'labs.crp'"),
        (
            '{"age": 50, "sex": "male", "history": {"cancer": ["colon"]}}',
            "clinic.jsonl:157: field 'history.cancer'",
        ),
    ],
)
def test_a_bad_case_among_many_good_ones_names_its_line_and_field(
    tmp_path: Path, bad: str, said: str
) -> None:
    lines = _clinic_lines(tmp_path, 300).read_text().splitlines()
    lines[156] = bad
    (tmp_path / "clinic.jsonl").write_text("\n".join(lines))
    result = _batch(tmp_path / "clinic.jsonl", "--json")
    assert result.exit_code == 2
    assert said in result.output
    assert "Traceback" not in result.output


def _mixed_clinic(tmp_path: Path) -> Path:
    """A folder of every kind of source: JSON Lines with blank lines and Windows line
    endings, files of their own, and a second JSON Lines file."""
    cases = [json.dumps(case) for case in _examples().values()]
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(
        "\r\n".join(cases[row % len(cases)] if row % 7 else "" for row in range(40)).encode()
    )
    for number, case in enumerate(cases[:5]):
        (folder / f"b{number}.json").write_text(case)
    (folder / "c.jsonl").write_text("\n".join(cases * 2) + "\n")
    return folder


@pytest.mark.parametrize("report", [["--json"], []], ids=["json", "text"])
def test_split_batches_print_byte_for_byte_what_one_process_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: list[str]
) -> None:
    monkeypatch.setattr(assess_batch, "CASES_PER_WORKER", 10)
    folder = _mixed_clinic(tmp_path)
    alone = _batch(folder, *report, "--jobs", "1")
    assert alone.exit_code == 0, alone.output
    for jobs in ("2", "3", "5"):
        shared = _batch(folder, *report, "--jobs", jobs)
        assert shared.exit_code == 0, shared.output
        assert shared.stdout_bytes == alone.stdout_bytes


@pytest.mark.parametrize("report", [["--json"], []], ids=["json", "text"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_batch_read_in_chunks_prints_byte_for_byte_what_one_chunk_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: list[str], jobs: str
) -> None:
    monkeypatch.setattr(assess_batch, "CASES_PER_WORKER", 10)
    folder = _mixed_clinic(tmp_path)
    whole = _batch(folder, *report, "--jobs", jobs)
    assert whole.exit_code == 0, whole.output
    monkeypatch.setattr(assess_batch, "CASES_A_CHUNK", 4)
    chunked = _batch(folder, *report, "--jobs", jobs)
    assert chunked.exit_code == 0, chunked.output
    assert chunked.stdout_bytes == whole.stdout_bytes


@pytest.mark.parametrize("bad_line", [3, 36, 60])
def test_a_split_batch_fails_as_one_process_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_line: int
) -> None:
    monkeypatch.setattr(assess_batch, "CASES_PER_WORKER", 10)
    cases = [json.dumps(case) for case in _examples().values()]
    lines = [cases[row % len(cases)] for row in range(80)]
    lines[bad_line - 1] = '{"age": 50, "sex": "male", "bmi": 4}'
    lines[70] = '{"age": 50, "sex": "robot"}'
    (tmp_path / "clinic.jsonl").write_text("\n".join(lines))
    alone = _batch(tmp_path, "--json", "--jobs", "1")
    assert alone.exit_code == 2
    assert f"clinic.jsonl:{bad_line}: field 'bmi'" in alone.output
    for jobs in ("2", "3"):
        shared = _batch(tmp_path, "--json", "--jobs", jobs)
        assert shared.exit_code == 2
        assert shared.output == alone.output
        assert shared.stdout_bytes == b""
