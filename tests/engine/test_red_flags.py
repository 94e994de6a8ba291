"""Red flags in the clinician's report come from the shared rule set, with the findings behind
each, whatever the cause ranking says."""

from __future__ import annotations

from typing import Any

import pytest

from plexcare.engine.case import Case
from plexcare.engine.red_flag_facts import warning_facts_from_case
from plexcare.engine.red_flags import RedFlagAlert, anticoagulant_advice, raise_red_flags
from plexcare.knowledge.loader import knowledge_base

KB = knowledge_base()


def _case(**fields: Any) -> Case:
    return Case.model_validate({"age": 60, "sex": "male", **fields})


def _flags(**fields: Any) -> dict[str, RedFlagAlert]:
    return {alert.feature: alert for alert in raise_red_flags(_case(**fields), KB)}


APIXABAN_GROIN_PAIN = {
    "age": 74,
    "tempo": "acute",
    "history": {"anticoagulant": "apixaban"},
    "symptoms": {"progressing": True},
    "pain": {"score": 8, "sites": ["right groin", "right flank"]},
    "exam": {"right": {"strength": {"knee_extension": 2, "hip_flexion": 3}}},
}


def test_a_case_without_warning_features_raises_no_flag() -> None:
    assert _flags(tempo="chronic", pain={"score": 3, "sites": ["lateral thigh"]}) == {}


def test_saddle_numbness_raises_an_emergency_that_names_the_finding() -> None:
    alert = _flags(symptoms={"saddle_numbness": True})["cauda_equina_warning"]
    assert alert.urgency == "emergency"
    assert "saddle numbness" in alert.finding
    assert "cauda_equina_syndrome" in alert.concerns
    assert "girft_2023_cauda_equina_pathway" in alert.sources


def test_reduced_anal_tone_on_examination_is_the_same_emergency() -> None:
    assert _flags(anal_tone="reduced")["cauda_equina_warning"].urgency == "emergency"


def test_apixaban_with_acute_groin_pain_and_weak_quadriceps_is_an_emergency() -> None:
    """The newer anticoagulants do not raise the INR, so escalation cannot wait for one."""
    flags = _flags(**APIXABAN_GROIN_PAIN)
    assert flags["bleeding_risk_with_sudden_pain"].urgency == "emergency"
    assert flags["bleeding_risk_with_new_weakness"].urgency == "emergency"
    assert "anticoagulant: apixaban" in flags["bleeding_risk_with_sudden_pain"].finding


def test_bleeding_advice_names_the_drug_its_last_dose_and_its_own_level_test() -> None:
    reason = _flags(**APIXABAN_GROIN_PAIN)["bleeding_risk_with_sudden_pain"].reason
    assert "apixaban" in reason
    assert "last dose" in reason
    assert "anti-Xa" in reason
    assert "INR does not reflect" in reason


@pytest.mark.parametrize(
    ("drug", "level"),
    [
        ("warfarin", "INR"),
        ("Rivaroxaban 20 mg", "anti-Xa"),
        ("dabigatran", "thrombin time"),
        ("enoxaparin", "anti-Xa"),
    ],
)
def test_each_anticoagulant_has_its_own_level_test(drug: str, level: str) -> None:
    advice = anticoagulant_advice(drug, KB)
    assert advice is not None
    assert level in advice.level_test


def test_an_unknown_anticoagulant_still_asks_for_the_last_dose() -> None:
    fields = {**APIXABAN_GROIN_PAIN, "history": {"anticoagulant": "newdrugamab"}}
    reason = _flags(**fields)["bleeding_risk_with_sudden_pain"].reason
    assert "newdrugamab" in reason and "last dose" in reason


def test_a_haematoma_on_imaging_is_an_emergency_without_any_symptom() -> None:
    alert = _flags(imaging=[{"kind": "haematoma", "side": "right"}])["haematoma_on_imaging"]
    assert alert.urgency == "emergency"
    assert "retroperitoneal_haematoma_plexopathy" in alert.concerns


def test_rapidly_progressive_weakness_is_an_emergency() -> None:
    flags = _flags(
        tempo="acute",
        symptoms={"progressing": True},
        exam={"right": {"strength": {"knee_extension": 2}}},
    )
    assert flags["rapidly_worsening_weakness"].urgency == "emergency"


def test_weakness_worsening_over_weeks_is_urgent_and_chronic_is_not_flagged() -> None:
    weeks = _flags(
        tempo="subacute",
        symptoms={"progressing": True},
        exam={"right": {"strength": {"knee_extension": 3}}},
    )
    chronic = _flags(
        tempo="chronic",
        symptoms={"progressing": True},
        exam={"right": {"strength": {"knee_extension": 3}}},
    )
    assert weeks["weakness_worsening_over_weeks"].urgency == "urgent"
    assert "rapidly_worsening_weakness" not in weeks
    assert chronic == {}


def test_flags_come_most_urgent_first() -> None:
    alerts = raise_red_flags(
        _case(
            history={"cancer": {"site": "lung"}},
            symptoms={"saddle_numbness": True},
            pain={"score": 4, "sites": ["low back"]},
        ),
        KB,
    )
    order = {"emergency": 0, "same_day": 1, "urgent": 2}
    urgencies = [alert.urgency for alert in alerts]
    assert urgencies == sorted(urgencies, key=order.__getitem__)
    assert urgencies[0] == "emergency" and "urgent" in urgencies


def test_an_unrecorded_fact_is_unknown_not_absent() -> None:
    facts = warning_facts_from_case(_case(), KB)
    assert facts.is_unknown("saddle_numbness")
    assert facts.is_unknown("bleeding_risk")
    denied = warning_facts_from_case(_case(symptoms={"saddle_numbness": False}), KB)
    assert "saddle_numbness" in denied.absent


def test_movement_and_muscle_names_both_count_as_leg_weakness() -> None:
    by_muscle = warning_facts_from_case(
        _case(exam={"left": {"strength": {"vastus_lateralis": 2}}}), KB
    )
    by_movement = warning_facts_from_case(
        _case(exam={"left": {"strength": {"knee_extension": 2}}}), KB
    )
    assert {"leg_weakness", "severe_leg_weakness", "cannot_stand"} <= by_muscle.present
    assert {"leg_weakness", "severe_leg_weakness", "cannot_stand"} <= by_movement.present


def test_trunk_and_sphincter_grades_are_not_leg_weakness() -> None:
    facts = warning_facts_from_case(
        _case(exam={"left": {"strength": {"trunk_extension": 3, "sphincter_squeeze": 3}}}), KB
    )
    assert "leg_weakness" not in facts.present
    assert "reduced_anal_tone" in facts.present


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        (
            {"labs": {"inr": 5.2}, "pain": {"score": 7, "sites": ["groin"]}},
            "over_anticoagulation_with_symptoms",
        ),
        ({"imaging": [{"kind": "abscess", "side": "right"}]}, "abscess_on_imaging"),
        ({"imaging": [{"kind": "haematoma"}]}, "haematoma_on_imaging"),
    ],
)
def test_every_clinician_only_emergency_rule_fires(fields: dict[str, Any], rule: str) -> None:
    """Facts only a clinician records (an INR, imaging) have emergency rules of their own."""
    assert _flags(**fields)[rule].urgency == "emergency"
