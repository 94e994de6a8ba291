"""One rule set, two front doors: each guideline scenario gives the same urgency through the
patient's self-check and through the clinician's report.

Every row is a person described twice: as a patient would answer the self-check, and as a
clinician would record the case. Both must reach the same red-flag urgency (emergency, same
day, within days, or none), and the same rule. The benign counterparts (stable mild numbness,
slowly improving sciatica, a blood thinner with nothing new) must not become emergencies.
`docs/safety.md` lists each emergency rule with its source and the row that covers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from plexcare.engine.case import Case
from plexcare.engine.red_flags import raise_red_flags
from plexcare.engine.triage import triage
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from tests.self_check_answers import NO_WARNINGS

KB = knowledge_base()


@dataclass(frozen=True)
class Scenario:
    name: str
    answers: dict[str, Any]
    case: dict[str, Any]
    urgency: str | None
    rule: str | None = None
    guideline: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


SCENARIOS = [
    Scenario(
        "saddle_numbness",
        {"saddle_numbness": True},
        {"symptoms": {"saddle_numbness": True}},
        "emergency",
        "cauda_equina_warning",
        "GIRFT 2023 cauda equina pathway",
    ),
    Scenario(
        "new_sexual_or_bladder_dysfunction",
        {"bladder_bowel_trouble": True},
        {"symptoms": {"bladder_bowel": True}},
        "emergency",
        "cauda_equina_warning",
        "GIRFT 2023 cauda equina pathway",
    ),
    Scenario(
        "weakness_worse_over_days_walking_hard",
        {"weakness_getting_worse": "day_to_day", "leg_weakness": "walking_hard"},
        {
            "tempo": "acute",
            "symptoms": {"progressing": True},
            "exam": {"right": {"strength": {"knee_extension": 3}}},
        },
        "emergency",
        "rapidly_worsening_weakness",
        "EAN/PNS 2023 GBS; spinal red flags",
    ),
    Scenario(
        "new_weakness_both_legs",
        {"which_legs": "both", "leg_weakness": "mild", "started": "weeks", "began": "weeks"},
        {
            "tempo": "subacute",
            "affected_side": "both",
            "symptoms": {"progressing": False},
            "exam": {
                "left": {"strength": {"ankle_dorsiflexion": 4}},
                "right": {"strength": {"ankle_dorsiflexion": 4}},
            },
        },
        "emergency",
        "new_weakness_both_legs",
        "GIRFT 2023 cauda equina pathway",
    ),
    Scenario(
        "cancer_with_new_weakness",
        {"cancer": True, "leg_weakness": "mild", "started": "weeks"},
        {
            "tempo": "subacute",
            "history": {"cancer": {"site": "breast"}},
            "exam": {"left": {"strength": {"hip_flexion": 4}}},
        },
        "emergency",
        "cancer_with_new_neurological_symptoms",
        "NICE NG234",
    ),
    Scenario(
        "cancer_with_radicular_pain",
        {"cancer": True, "leg_pain": True, "leg_weakness": "none", "numbness": False},
        {
            "history": {"cancer": {"site": "prostate"}},
            "pain": {"score": 6, "sites": ["left posterior thigh", "calf"]},
        },
        "emergency",
        "cancer_with_new_neurological_symptoms",
        "NICE NG234",
    ),
    Scenario(
        "cancer_with_new_spinal_pain_only",
        {
            "cancer": True,
            "back_pain": True,
            "leg_pain": False,
            "leg_weakness": "none",
            "numbness": False,
        },
        {
            "history": {"cancer": {"site": "lung"}},
            "pain": {"score": 5, "sites": ["low back"]},
            "exam": {
                "left": {"strength": {"hip_flexion": 5}, "sensation": {"l4_dermatome": "normal"}}
            },
        },
        "same_day",
        "cancer_with_new_spinal_pain",
        "NICE NG234 (within 24 hours)",
    ),
    Scenario(
        "fever_immunosuppressed_groin_pain_weak_leg_no_back_pain",
        {
            "fever": True,
            "weak_immunity": True,
            "groin_or_hip_pain": True,
            "back_pain": False,
            "leg_weakness": "mild",
        },
        {
            "tempo": "subacute",
            "symptoms": {"fever": True, "back_pain": False},
            "history": {"immunosuppressed": True},
            "pain": {"score": 7, "sites": ["right groin"]},
            "exam": {"right": {"strength": {"hip_flexion": 4}}},
        },
        "emergency",
        "fever_with_back_or_groin_pain",
        "Darouiche 2006; Mallick 2004",
    ),
    Scenario(
        "fever_during_chemotherapy",
        {"fever": True, "chemotherapy": True},
        {"symptoms": {"fever": True}, "history": {"chemotherapy_recent": True}},
        "emergency",
        "fever_during_chemotherapy",
        "NICE CG151 neutropenic sepsis",
    ),
    Scenario(
        "drug_injection_severe_back_pain_weakness_no_fever",
        {
            "injects_drugs": True,
            "back_pain": True,
            "pain_score": 9,
            "leg_weakness": "mild",
            "fever": False,
        },
        {
            "tempo": "subacute",
            "symptoms": {"fever": False, "back_pain": True},
            "history": {"injection_drug_use": True},
            "pain": {"score": 9, "sites": ["low back"]},
            "exam": {"left": {"strength": {"ankle_dorsiflexion": 4}}},
        },
        "emergency",
        "infection_risk_with_pain_and_deficit",
        "Darouiche 2006",
    ),
    Scenario(
        "drug_injection_severe_back_pain_no_deficit",
        {
            "injects_drugs": True,
            "back_pain": True,
            "pain_score": 9,
            "leg_weakness": "none",
            "numbness": False,
        },
        {
            "symptoms": {"fever": False, "back_pain": True},
            "history": {"injection_drug_use": True},
            "pain": {"score": 9, "sites": ["low back"]},
            "exam": {
                "left": {
                    "strength": {"ankle_dorsiflexion": 5},
                    "sensation": {"l5_dermatome": "normal"},
                }
            },
        },
        "same_day",
        "infection_risk_with_back_or_groin_pain",
        "Darouiche 2006",
    ),
    Scenario(
        "blood_thinner_sudden_flank_pain_no_swelling",
        {"blood_thinner": True, "sudden_pain": True, "bleeding_or_swelling": False},
        {
            "tempo": "acute",
            "history": {"anticoagulant": "apixaban"},
            "pain": {"score": 8, "sites": ["left groin", "left flank"]},
            "symptoms": {"swelling_or_bruising": False},
        },
        "emergency",
        "bleeding_risk_with_sudden_pain",
        "Parmer 2006; ACC 2020 anticoagulant bleeding",
    ),
    Scenario(
        "blood_thinner_new_thigh_weakness_over_days",
        {"blood_thinner": True, "leg_weakness": "walking_hard", "started": "hours_or_days"},
        {
            "tempo": "acute",
            "history": {"anticoagulant": "rivaroxaban"},
            "exam": {"left": {"strength": {"knee_extension": 3}}},
        },
        "emergency",
        "bleeding_risk_with_new_weakness",
        "Parmer 2006",
    ),
    Scenario(
        "groin_catheter_then_sudden_groin_pain",
        {"groin_procedure": True, "sudden_pain": True},
        {
            "tempo": "acute",
            "history": {"groin_catheterisation": True},
            "pain": {"score": 7, "sites": ["right groin"]},
        },
        "emergency",
        "bleeding_risk_with_sudden_pain",
        "Parmer 2006",
    ),
    Scenario(
        "recent_operation_groin_swelling_worsening_weakness",
        {
            "recent_operation_or_birth": True,
            "bleeding_or_swelling": True,
            "leg_weakness": "walking_hard",
            "weakness_getting_worse": "day_to_day",
        },
        {
            "tempo": "acute",
            "history": {"recent_surgery": "hip_arthroplasty"},
            "symptoms": {"swelling_or_bruising": True, "progressing": True},
            "exam": {"right": {"strength": {"knee_extension": 3}}},
        },
        "emergency",
        None,
        "Stewart 2010",
    ),
    Scenario(
        "cold_pale_painful_leg",
        {"cold_pale_leg": True},
        {"symptoms": {"cold_pale_leg": True}},
        "emergency",
        "acute_limb_ischaemia",
        "ESVS 2020 acute limb ischaemia",
    ),
    Scenario(
        "weakness_after_epidural",
        {"spinal_procedure": True, "leg_weakness": "mild", "started": "hours_or_days"},
        {
            "tempo": "acute",
            "history": {"spinal_procedure": True},
            "exam": {"left": {"strength": {"hip_flexion": 4}}},
        },
        "emergency",
        "deficit_after_spinal_procedure",
        "ASRA 2018",
    ),
    Scenario(
        "breathing_or_swallowing_weakness",
        {"breathing_or_swallowing": True},
        {"symptoms": {"breathing_or_swallowing": True}},
        "emergency",
        "breathing_or_swallowing_weakness",
        "EAN/PNS 2023 GBS",
    ),
    Scenario(
        "cannot_stand_since_yesterday",
        {"leg_weakness": "cannot_stand", "started": "hours_or_days"},
        {"tempo": "acute", "exam": {"right": {"strength": {"knee_extension": 1}}}},
        "emergency",
        "sudden_loss_of_standing",
        "Stewart 2010",
    ),
    Scenario(
        "fever_with_new_weakness_no_pain",
        {"fever": True, "leg_weakness": "mild", "started": "hours_or_days", "back_pain": False},
        {
            "tempo": "acute",
            "symptoms": {"fever": True, "back_pain": False},
            "pain": {"score": 0},
            "exam": {"left": {"strength": {"hip_flexion": 4}}},
        },
        "emergency",
        "fever_with_new_weakness",
        "Darouiche 2006",
    ),
    Scenario(
        "numb_leg_after_a_fall",
        {"injury": True, "numbness": True, "leg_weakness": "none", "started": "hours_or_days"},
        {
            "tempo": "acute",
            "history": {"trauma": "sacral_fracture"},
            "exam": {
                "left": {"strength": {"hip_extension": 5}, "sensation": {"s1_dermatome": "reduced"}}
            },
        },
        "emergency",
        "injury_with_new_deficit",
        "Stewart 2010",
    ),
    Scenario(
        "swelling_and_weak_leg_after_an_operation",
        {
            "recent_operation_or_birth": True,
            "bleeding_or_swelling": True,
            "leg_weakness": "mild",
            "started": "weeks",
        },
        {
            "tempo": "subacute",
            "history": {"recent_surgery": "pelvic"},
            "symptoms": {"swelling_or_bruising": True, "progressing": False},
            "exam": {"left": {"strength": {"knee_extension": 4}}},
        },
        "emergency",
        "swelling_and_weakness_after_operation",
        "Stewart 2010",
    ),
    # --- benign counterparts: must not become emergencies ------------------------------------
    Scenario(
        "stable_mild_thigh_numbness",
        {"numbness": True, "leg_weakness": "none", "started": "months", "began": "longer"},
        {
            "tempo": "chronic",
            "symptoms": {"progressing": False},
            "exam": {
                "left": {
                    "strength": {"hip_flexion": 5},
                    "sensation": {"lateral_femoral_cutaneous": "reduced"},
                }
            },
        },
        None,
    ),
    Scenario(
        "slowly_improving_sciatica",
        {
            "back_pain": True,
            "leg_pain": True,
            "pain_score": 5,
            "leg_weakness": "none",
            "started": "weeks",
        },
        {
            "tempo": "subacute",
            "symptoms": {"progressing": False, "back_pain": True},
            "pain": {"score": 5, "sites": ["low back", "posterior thigh"]},
            "exam": {"left": {"strength": {"ankle_dorsiflexion": 5}}},
        },
        None,
    ),
    Scenario(
        "blood_thinner_with_longstanding_numb_feet",
        {
            "blood_thinner": True,
            "numbness": True,
            "leg_weakness": "none",
            "started": "months",
            "began": "longer",
        },
        {
            "tempo": "chronic",
            "history": {"anticoagulant": "warfarin"},
            "exam": {"left": {"strength": {"ankle_dorsiflexion": 5}}},
        },
        None,
    ),
    Scenario(
        "weakness_slowly_worse_over_weeks",
        {"weakness_getting_worse": "over_weeks", "leg_weakness": "mild", "started": "weeks"},
        {
            "tempo": "subacute",
            "symptoms": {"progressing": True},
            "exam": {"right": {"strength": {"knee_extension": 4}}},
        },
        "urgent",
        "weakness_worsening_over_weeks",
        "Stewart 2010",
    ),
    Scenario(
        "tense_buttock_after_lying_immobile",
        {"tense_buttock_or_thigh": True, "lay_immobile": True, "started": "hours_or_days"},
        {
            "tempo": "acute",
            "symptoms": {"tense_buttock_or_thigh": True},
            "history": {"lay_immobile_for_hours": True},
        },
        "emergency",
        "buttock_or_thigh_compartment_syndrome",
        "Henson 2009 gluteal compartment syndrome",
    ),
    Scenario(
        "tense_thigh_with_a_numb_leg",
        {"tense_buttock_or_thigh": True, "numbness": True},
        {
            "symptoms": {"tense_buttock_or_thigh": True},
            "exam": {"right": {"sensation": {"dorsum_of_foot": "reduced"}}},
        },
        "emergency",
        "buttock_or_thigh_compartment_syndrome",
        "Ojike 2010 thigh compartment syndrome",
    ),
    Scenario(
        "known_aneurysm_new_back_pain",
        {"aneurysm": True, "back_pain": True, "started": "hours_or_days", "began": "days"},
        {
            "tempo": "acute",
            "history": {"aneurysm": True},
            "symptoms": {"back_pain": True},
            "weeks_since_onset": 0.5,
        },
        "emergency",
        "leaking_aortic_or_iliac_aneurysm",
        "ESVS 2019 aorto-iliac aneurysms; NICE NG156",
    ),
    Scenario(
        "aneurysm_on_imaging_with_sudden_groin_pain",
        {"aneurysm": True, "sudden_pain": True, "groin_or_hip_pain": True},
        {
            "tempo": "acute",
            "pain": {"sites": ["groin"]},
            "imaging": [{"kind": "aneurysm", "side": "right"}],
        },
        "emergency",
        "leaking_aortic_or_iliac_aneurysm",
        "ESVS 2019 aorto-iliac aneurysms; NICE NG156",
    ),
    Scenario(
        "known_aneurysm_with_buttock_pain_for_weeks",
        {"aneurysm": True, "leg_pain": True, "started": "weeks", "began": "one_to_three_months"},
        {
            "tempo": "subacute",
            "history": {"aneurysm": True},
            "pain": {"sites": ["buttock", "lateral leg"]},
            "weeks_since_onset": 8,
        },
        "same_day",
        "painful_aortic_or_iliac_aneurysm",
        "ESVS 2019 aorto-iliac aneurysms: a symptomatic aneurysm is repaired urgently",
    ),
    Scenario(
        "known_aneurysm_with_back_pain_for_years",
        {"aneurysm": True, "back_pain": True, "started": "months", "began": "longer"},
        {
            "tempo": "chronic",
            "history": {"aneurysm": True},
            "symptoms": {"back_pain": True},
            "weeks_since_onset": 150,
        },
        None,
    ),
    Scenario(
        "known_aneurysm_with_back_pain_for_weeks",
        {"aneurysm": True, "back_pain": True, "started": "weeks", "began": "weeks"},
        {
            "tempo": "subacute",
            "history": {"aneurysm": True},
            "symptoms": {"back_pain": True},
            "weeks_since_onset": 3,
        },
        "same_day",
        "painful_aortic_or_iliac_aneurysm",
        "ESVS 2019 aorto-iliac aneurysms: pain over weeks is symptomatic, not a leak",
    ),
    Scenario(
        "known_aneurysm_sudden_pain_months_ago",
        {"aneurysm": True, "sudden_pain": True, "groin_or_hip_pain": True, "began": "longer"},
        {
            "tempo": "acute",
            "history": {"aneurysm": True},
            "pain": {"sites": ["groin"]},
            "weeks_since_onset": 20,
        },
        None,
    ),
    Scenario(
        "tense_thigh_with_a_numb_leg_for_months",
        {"tense_buttock_or_thigh": True, "numbness": True, "started": "months", "began": "longer"},
        {
            "tempo": "chronic",
            "symptoms": {"tense_buttock_or_thigh": True},
            "exam": {"right": {"sensation": {"dorsum_of_foot": "reduced"}}},
            "weeks_since_onset": 26,
        },
        None,
    ),
    Scenario(
        "lay_immobile_without_a_tense_limb",
        {"lay_immobile": True, "tense_buttock_or_thigh": False, "numbness": True},
        {
            "history": {"lay_immobile_for_hours": True},
            "symptoms": {"tense_buttock_or_thigh": False},
            "exam": {"right": {"sensation": {"dorsum_of_foot": "reduced"}}},
        },
        None,
    ),
]
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


def _patient_level(answers: dict[str, Any], kb: KnowledgeBase) -> tuple[str | None, set[str]]:
    advice = triage({**NO_WARNINGS, **answers}, kb)
    flags = [r for r in advice.reasons if r.urgency in ("emergency", "same_day", "urgent")]
    return (flags[0].urgency if flags else None), {r.rule for r in flags}


def _clinician_level(fields: dict[str, Any], kb: KnowledgeBase) -> tuple[str | None, set[str]]:
    alerts = raise_red_flags(Case.model_validate({"age": 60, "sex": "female", **fields}), kb)
    if not alerts:
        return None, set()
    top = alerts[0].urgency
    return top, {a.feature for a in alerts if a.urgency == top}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_self_check_gives_the_guideline_urgency(scenario: Scenario) -> None:
    urgency, rules = _patient_level(scenario.answers, KB)
    assert urgency == scenario.urgency
    if scenario.rule:
        assert scenario.rule in rules


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_clinician_report_gives_the_guideline_urgency(scenario: Scenario) -> None:
    urgency, rules = _clinician_level(scenario.case, KB)
    assert urgency == scenario.urgency
    if scenario.rule:
        assert scenario.rule in rules


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_both_doors_agree_on_the_urgency_and_the_rule(scenario: Scenario) -> None:
    patient, patient_rules = _patient_level(scenario.answers, KB)
    clinician, clinician_rules = _clinician_level(scenario.case, KB)
    assert patient == clinician
    assert patient_rules == clinician_rules


@pytest.mark.parametrize(
    "scenario", [s for s in SCENARIOS if s.urgency == "emergency"], ids=lambda s: s.name
)
def test_an_emergency_sends_the_patient_to_the_emergency_department_only(
    scenario: Scenario,
) -> None:
    advice = triage({**NO_WARNINGS, **scenario.answers}, KB)
    assert advice.urgency == "emergency"
    assert advice.see[0] == "emergency_department"
    assert advice.further_advice == ()


def test_every_emergency_rule_is_covered_by_a_scenario() -> None:
    emergencies = {rule.id for rule in KB.red_flags.rules if rule.urgency == "emergency"}
    covered = {s.rule for s in SCENARIOS if s.rule}
    clinician_only = {
        "over_anticoagulation_with_symptoms",
        "haematoma_on_imaging",
        "abscess_on_imaging",
    }
    assert emergencies - covered - clinician_only == set()
