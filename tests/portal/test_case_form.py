"""Reading the clinician's case form into a Case: structured fields by their dotted path,
the advanced YAML box for the rest, and each problem reported where it was made."""

from __future__ import annotations

from plexcare.portal.case_form import ADVANCED, ALL_FIELDS, WHOLE_CASE, read_case


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
