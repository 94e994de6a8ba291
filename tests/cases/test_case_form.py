"""Reading the clinician's case form into a Case: structured fields by their dotted path, rows
of needle findings and imaging, the advanced YAML box for the rest, and each problem reported
beside its field in clinical words; a stored case comes back into the form unchanged; odd
input (digits that are not ASCII, thousands of digits, YAML tags, aliases and dates) is
refused by name, never a crash."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.cases.case_form import (
    ADVANCED,
    DATE_MESSAGE,
    WHOLE_CASE,
    amplitude_limit,
    form_layout,
    form_values,
    label_of,
    read_case,
    study_limits,
    value_words,
)
from plexcare.engine import Case
from plexcare.engine.case import History, Labs, SideExam, Symptoms
from plexcare.engine.findings import lower_limit
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "cases").glob("*.yaml"))
KB = knowledge_base()
PATH_FIELDS = form_layout(KB).path_fields


def test_structured_fields_rows_and_the_advanced_box_make_one_case(kb: KnowledgeBase) -> None:
    read = read_case(
        {
            "age": "52",
            "sex": "male",
            "symptoms.back_pain": "yes",
            "exam.left.strength.tibialis_anterior": "3",
            "exam.left.give_way.hip_flexion": "yes",
            "exam.left.sensation.dorsum_of_foot": "reduced",
            "nerve_conduction.left.fibular_cmap_edb.amplitude": "1.1",
            "nerve_conduction.left.fibular_cmap_edb.segments.fibular_head.amplitude": "0.4",
            "emg_row.0.muscle": "tibialis_anterior",
            "emg_row.0.side": "left",
            "emg_row.0.fibrillations": "2",
            "emg_row.0.recruitment": "reduced",
            "imaging_row.1.kind": "disc_herniation",
            "imaging_row.1.level": "L4-L5",
            "labs.crp": "12",
            ADVANCED: "age: 40\npain: {sites: [low back]}",
        },
        kb,
    )
    assert read.errors == {}
    assert read.case is not None
    assert read.case.age == 52
    assert read.case.pain.sites == ("low back",)
    assert read.case.symptoms.back_pain is True
    assert read.case.exam["left"].strength["tibialis_anterior"] == 3
    assert read.case.exam["left"].give_way == ("hip_flexion",)
    assert read.case.exam["left"].sensation["dorsum_of_foot"] == "reduced"
    study = read.case.nerve_conduction["left"]["fibular_cmap_edb"]
    assert (study.amplitude, study.unit) == (1.1, "mV")
    assert study.segments["fibular_head"].amplitude == 0.4
    needle = read.case.emg["left"]["tibialis_anterior"]
    assert (needle.fibrillations, needle.recruitment) == (2, "reduced")
    assert [(i.kind, i.level) for i in read.case.imaging] == [("disc_herniation", "L4-L5")]
    assert read.case.labs.crp == 12


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_case_comes_back_from_the_form_unchanged(
    path: Path, kb: KnowledgeBase
) -> None:
    case = Case.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    values = form_values(case.model_dump(mode="json"), kb)
    read = read_case(values, kb)
    assert read.errors == {}
    assert read.case == case


def test_the_tables_hold_the_examples_so_the_advanced_box_is_seldom_needed(
    kb: KnowledgeBase,
) -> None:
    left_over = []
    for path in EXAMPLES:
        case = Case.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        if ADVANCED in form_values(case.model_dump(mode="json"), kb):
            left_over.append(path.stem)
    assert len(left_over) <= 3, left_over


def test_history_symptom_and_lab_fields_come_from_the_case_model(kb: KnowledgeBase) -> None:
    """A field added to the Case model appears in the form without editing it."""
    paths = {spec.path for spec in form_layout(kb).path_fields}
    for prefix, model in (("symptoms", Symptoms), ("history", History), ("labs", Labs)):
        for name, info in model.model_fields.items():
            if (info.description or "").startswith("Older cases"):
                continue
            assert any(p == f"{prefix}.{name}" or p.startswith(f"{prefix}.{name}.") for p in paths)


def test_names_on_the_form_are_clinical_words_never_ids(kb: KnowledgeBase) -> None:
    layout = form_layout(kb)
    assert label_of("exam.left.strength.tibialis_anterior", layout) == "Tibialis anterior, left"
    labels = [spec.label for spec in layout.path_fields]
    assert not [label for label in labels if "_" in label]
    assert all("_" not in name for _value, name in layout.emg.columns[0].options)


@pytest.mark.parametrize("age", [18, 45, 60, 65, 70, 74, 75, 90])
def test_the_amplitude_limit_beside_a_value_is_the_engines_for_that_age(
    age: int, kb: KnowledgeBase
) -> None:
    for study in kb.studies.values():
        assert amplitude_limit(study_limits(study), age) == lower_limit(study, age)


def test_every_structured_field_is_checked_and_free_text_lands_in_the_case(
    kb: KnowledgeBase,
) -> None:
    for spec in PATH_FIELDS:
        read = read_case({"age": "50", "sex": "other", spec.path: "nonsense"}, kb)
        if spec.kind in ("text", "list"):
            assert read.errors == {}, spec.path
            assert read.case is not None
            assert "nonsense" in read.case.model_dump_json()
        else:
            assert read.errors.get(spec.path), spec.path


def test_every_structured_field_is_a_path_the_case_model_accepts(kb: KnowledgeBase) -> None:
    sample = {
        "int": "1",
        "float": "12",
        "yes_no": "no",
        "date": "2026-03-02",
        "text": "left",
        "list": "back",
    }
    needs = {
        "onset_on": {"evaluated_on": "2026-03-02"},
        "history.cancer.site": {"history.cancer.status": "active"},
        "history.radiotherapy.region": {"history.radiotherapy.status": "given"},
        "history.radiotherapy.years_ago": {"history.radiotherapy.status": "given"},
    }
    for spec in PATH_FIELDS:
        value = spec.options[0][0] if spec.kind == "choice" else sample[spec.kind]
        fields = {"age": "50", "sex": "other", spec.path: value, **needs.get(spec.path, {})}
        assert read_case(fields, kb).errors == {}, spec.path


def test_a_missing_answer_is_named_in_clinical_words_beside_its_field(kb: KnowledgeBase) -> None:
    read = read_case({"age": "50"}, kb)
    assert read.errors == {"sex": "Choose one from the list."}
    assert label_of("sex", form_layout(kb)) == "Sex"


def test_a_value_out_of_range_says_the_range(kb: KnowledgeBase) -> None:
    read = read_case({"age": "50", "sex": "male", "pain.score": "14"}, kb)
    assert read.errors == {"pain.score": "Enter a value of at most 10."}


def test_a_needle_finding_without_its_muscle_or_side_is_named_on_its_row(
    kb: KnowledgeBase,
) -> None:
    read = read_case(
        {
            "age": "50",
            "sex": "male",
            "emg_row.2.fibrillations": "2",
            "emg_row.3.muscle": "soleus",
            "emg_row.3.recruitment": "reduced",
        },
        kb,
    )
    assert read.errors == {
        "emg_row.2.muscle": "Choose the muscle examined.",
        "emg_row.3.side": "Choose the side.",
    }
    assert label_of("emg_row.3.side", form_layout(kb)) == "Needle EMG, row 4: Side"


def test_an_imaging_row_without_its_finding_is_named_on_its_row(kb: KnowledgeBase) -> None:
    read = read_case(
        {"age": "50", "sex": "male", "imaging_row.1.level": "L5-S1", "imaging_row.1.side": "left"},
        kb,
    )
    assert read.errors == {"imaging_row.1.kind": "Choose one from the list."}


def test_broken_yaml_is_reported_with_its_line(kb: KnowledgeBase) -> None:
    read = read_case({ADVANCED: "age: 50\nsex: [female"}, kb)
    assert read.case is None
    assert "line" in read.errors[ADVANCED]


def test_a_rule_about_the_whole_case_is_reported_for_the_whole_case(kb: KnowledgeBase) -> None:
    read = read_case(
        {"age": "50", "sex": "female", "evaluated_on": "2026-01-01", "onset_on": "2026-02-01"},
        kb,
    )
    assert "after evaluated_on" in read.errors[WHOLE_CASE]


@pytest.mark.parametrize("typed", ["²", "١٢", "１２", "9" * 5000, "1e309", "nan", "0x10"])
@pytest.mark.parametrize("path", ["age", "pain.score", "weeks_since_onset"])
def test_a_number_field_takes_ascii_digits_only_and_says_so(
    path: str, typed: str, kb: KnowledgeBase
) -> None:
    read = read_case({"age": "50", "sex": "other", path: typed}, kb)
    assert read.case is None
    assert read.errors[path].startswith("Enter a")


def test_a_date_outside_the_clinic_calendar_is_named_beside_its_field(kb: KnowledgeBase) -> None:
    read = read_case({"age": "50", "sex": "other", "evaluated_on": "9999-12-31"}, kb)
    assert read.errors["evaluated_on"] == DATE_MESSAGE


def test_a_date_in_the_advanced_box_is_read_as_the_text_it_is(kb: KnowledgeBase) -> None:
    read = read_case({ADVANCED: "id: 2026-01-01\nage: 50\nsex: male\nevaluated_on: 2026-03-02"}, kb)
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
def test_what_the_advanced_box_cannot_hold_is_refused_there_by_name(
    text: str, said: str, kb: KnowledgeBase
) -> None:
    read = read_case({ADVANCED: text}, kb)
    assert read.case is None
    assert said in read.errors[ADVANCED]


ROW_PATHS = [
    "emg_row.0.muscle",
    "emg_row.0.fibrillations",
    "imaging_row.0.kind",
    "imaging_row.9.level",
]


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(
    path=st.sampled_from([ADVANCED, *ROW_PATHS, *(f.path for f in PATH_FIELDS)]),
    typed=st.text(),
)
def test_no_text_in_any_field_breaks_the_form(path: str, typed: str) -> None:
    read = read_case({"age": "50", "sex": "other", path: typed}, KB)
    assert (read.case is None) == bool(read.errors)


def test_every_scalar_of_the_case_and_of_a_legs_examination_has_a_field(
    kb: KnowledgeBase,
) -> None:
    """Top-level findings (body mass index, anal tone) and each leg's signs (plantar
    response, foot pulses) added to the model appear without editing the form."""
    paths = {spec.path for spec in form_layout(kb).path_fields}
    for name, info in Case.model_fields.items():
        if info.annotation in (str | None, int, float | None, int | None) or name in (
            "sex",
            "tempo",
            "affected_side",
            "anal_tone",
            "evaluated_on",
            "onset_on",
        ):
            assert name in paths, name
    for name in SideExam.model_fields:
        if name not in ("strength", "give_way", "reflexes", "sensation"):
            assert f"exam.left.{name}" in paths and f"exam.right.{name}" in paths, name


def test_a_stored_value_is_shown_in_the_forms_words(kb: KnowledgeBase) -> None:
    layout = form_layout(kb)
    assert value_words("history.diabetes", "type2", layout) == "type 2"
    assert value_words("symptoms.fever", True, layout) == "yes"
    assert value_words("tempo", "acute", layout) == "acute (days)"
    assert value_words("exam.left.strength.soleus", 3, layout) == "3"
    assert value_words("history.recent_surgery", None, layout) == "not recorded"
    assert value_words("imaging.0.kind", "disc_herniation", layout) == "disc herniation"
