"""The treatment plan: grouped, matched to deficits, checked against this patient."""

from __future__ import annotations

from typing import Any

from plexcare.engine.etiology import SiteSupport, compile_etiology, rank_causes
from plexcare.engine.etiology_features import derive_etiology_findings
from plexcare.engine.plan import PlanItem, TreatmentPlan, build_plan
from plexcare.engine.red_flags import raise_red_flags
from tests.engine.plan_fixtures import case, small_kb

KB = small_kb()
MODEL = compile_etiology(KB)

DIABETIC = {
    "history": {"diabetes": "type2"},
    "pain": {"score": 9},
    "symptoms": {"weight_loss_kg": 8},
}


def _plan(**fields: Any) -> TreatmentPlan:
    patient = case(**fields)
    found = derive_etiology_findings(patient, KB)
    causes = rank_causes(MODEL, found, SiteSupport({}, {}))
    return build_plan(patient, found, causes, raise_red_flags(patient, KB, found), KB)


def _by_id(plan: TreatmentPlan) -> dict[str, PlanItem]:
    return {item.treatment: item for item in plan.items}


def test_the_leading_cause_brings_its_treatments_in_their_groups() -> None:
    plan = _plan(**DIABETIC)
    assert [i.treatment for i in plan.cause_directed] == ["ivig"]
    assert "gabapentin" in [i.treatment for i in plan.pain]
    assert "physiotherapy" in [i.treatment for i in plan.rehabilitation]
    assert "Diabetic amyotrophy" in plan.cause_directed[0].why


def test_foot_drop_brings_an_ankle_foot_orthosis_from_the_data() -> None:
    plan = _plan(exam={"left": {"strength": {"tibialis_anterior": 2}}})
    orthosis = _by_id(plan)["ankle_foot_orthosis"]
    assert orthosis.group == "rehabilitation"
    assert "ankle dorsiflexion MRC 2" in orthosis.why


def test_mild_weakness_above_the_threshold_brings_no_orthosis() -> None:
    plan = _plan(exam={"left": {"strength": {"ankle_dorsiflexion": 4}}})
    assert "ankle_foot_orthosis" not in _by_id(plan)


def test_cautions_are_checked_against_this_patients_kidneys_and_age() -> None:
    plan = _plan(age=72, labs={"egfr": 45}, **DIABETIC)
    gabapentin = _by_id(plan)["gabapentin"]
    conditions = {c.condition: c for c in gabapentin.cautions}
    assert conditions["renal_impairment"].because == "eGFR 45"
    assert "older_adult" in conditions
    assert not gabapentin.contraindicated


def test_conditions_the_case_does_not_record_are_listed_as_unchecked() -> None:
    gabapentin = _by_id(_plan(**DIABETIC))["gabapentin"]
    assert "renal_impairment" in gabapentin.unchecked
    assert "peptic_ulcer" in gabapentin.unchecked


def test_a_contraindicated_item_is_kept_and_marked() -> None:
    items = _by_id(_plan(history={"anticoagulant": "warfarin"}))
    nsaid = items["nsaid"]
    assert nsaid.contraindicated
    assert nsaid.cautions[0].condition == "anticoagulated"
    assert nsaid.cautions[0].because == "anticoagulant: warfarin"
    assert not items["gabapentin"].contraindicated


def test_a_red_flag_brings_an_early_review_visit() -> None:
    plan = _plan(symptoms={"saddle_numbness": True})
    assert plan.follow_up[0].when == "within 1 week"
