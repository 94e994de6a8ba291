"""Reading the clinician's case form into a Case: structured fields by their dotted path,
the advanced YAML box for the rest, and each problem reported where it was made; odd input
(digits that are not ASCII, thousands of digits, YAML tags, aliases and dates) is refused by
name, never a crash."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.cases.case_form import ADVANCED, ALL_FIELDS, DATE_MESSAGE, WHOLE_CASE, read_case


def test_structured_fields_and_the_advanced_box_make_one_case() -> None:
    read = read_case(
        {
            "age": "52",
            "sex": "male",
            "symptoms.back_pain": "yes",
            "exam.left.strength.tibialis_anterior": "3",
            ADVANCED: "emg: {left: {tibialis_anterior: {fibrillations: 2}}}\nage: 40",
        }
    )
    assert read.errors == {}
    assert read.case is not None
    assert read.case.age == 52
    assert read.case.symptoms.back_pain is True
    assert read.case.exam["left"].strength["tibialis_anterior"] == 3
    assert read.case.emg["left"]["tibialis_anterior"].fibrillations == 2


def test_every_structured_field_is_checked_and_free_text_lands_in_the_case() -> None:
    for spec in ALL_FIELDS:
        read = read_case({"age": "50", "sex": "other", spec.path: "nonsense"})
        if spec.kind == "text":
            assert read.errors == {}
            assert read.case is not None
            assert "nonsense" in read.case.model_dump_json()
        else:
            assert read.errors.get(spec.path)


def test_every_structured_field_is_a_path_the_case_model_accepts() -> None:
    sample = {"int": "1", "float": "1", "yes_no": "no", "date": "2026-03-02", "text": "left"}
    for spec in ALL_FIELDS:
        value = spec.options[0][0] if spec.kind == "choice" else sample[spec.kind]
        fields = {"age": "50", "sex": "other", spec.path: value}
        if spec.path == "onset_on":
            fields["evaluated_on"] = "2026-03-02"
        assert read_case(fields).errors == {}, spec.path


def test_broken_yaml_is_reported_with_its_line() -> None:
    read = read_case({ADVANCED: "age: 50\nsex: [female"})
    assert read.case is None
    assert "line" in read.errors[ADVANCED]


def test_a_rule_about_the_whole_case_is_reported_for_the_whole_case() -> None:
    read = read_case(
        {"age": "50", "sex": "female", "evaluated_on": "2026-01-01", "onset_on": "2026-02-01"}
    )
    assert "after evaluated_on" in read.errors[WHOLE_CASE]


@pytest.mark.parametrize("typed", ["²", "١٢", "１２", "9" * 5000, "1e309", "nan", "0x10"])
@pytest.mark.parametrize("path", ["age", "pain.score", "weeks_since_onset"])
def test_a_number_field_takes_ascii_digits_only_and_says_so(path: str, typed: str) -> None:
    read = read_case({"age": "50", "sex": "other", path: typed})
    assert read.case is None
    assert read.errors[path].startswith("Enter a")


def test_a_date_outside_the_clinic_calendar_is_named_beside_its_field() -> None:
    read = read_case({"age": "50", "sex": "other", "evaluated_on": "9999-12-31"})
    assert read.errors["evaluated_on"] == DATE_MESSAGE


def test_a_date_in_the_advanced_box_is_read_as_the_text_it_is() -> None:
    read = read_case({ADVANCED: "id: 2026-01-01\nage: 50\nsex: male\nevaluated_on: 2026-03-02"})
    assert read.errors == {}
    assert read.case is not None
    assert read.case.id == "2026-01-01"
    assert read.case.evaluated_on == date(2026, 3, 2)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("age: " + "9" * 5000, "too long or too deep"),
        ("[" * 5000, "too long or too deep"),
        ("a: &x [1]\nb: *x", "aliases"),
        ("id: !!binary aGk=\nage: 50", "no !!tags"),
        ("age: !!timestamp 2026-01-01", "no !!tags"),
        ('id: "a\\0b"\nage: 50\nsex: male', "NUL"),
        ("x: " + "y" * 100_001, "longer than"),
        ("a:\n" + "".join(f"{'  ' * depth}b:\n" for depth in range(1, 25)), "deeper than"),
    ],
)
def test_what_the_advanced_box_cannot_hold_is_refused_there_by_name(text: str, said: str) -> None:
    read = read_case({ADVANCED: text})
    assert read.case is None
    assert said in read.errors[ADVANCED]


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(path=st.sampled_from([ADVANCED, *(f.path for f in ALL_FIELDS)]), typed=st.text())
def test_no_text_in_any_field_breaks_the_form(path: str, typed: str) -> None:
    read = read_case({"age": "50", "sex": "other", path: typed})
    assert (read.case is None) == bool(read.errors)
