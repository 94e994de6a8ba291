"""`assess`: the whole answer for one case, pure, deterministic and JSON-ready."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from plexcare.engine import Assessment, assess, assess_batch
from plexcare.engine.case import Case
from plexcare.engine.case_names import CaseError
from plexcare.engine.plan import PlanItem
from plexcare.knowledge.loader import load_knowledge_base
from plexcare.knowledge.model import KnowledgeBase

EXAMPLES = Path(__file__).parents[2] / "examples" / "cases"


def _example(name: str) -> Case:
    return Case.model_validate(yaml.safe_load((EXAMPLES / name).read_text()))


def test_assess_is_deterministic(kb: KnowledgeBase) -> None:
    """The same case gives the same answer, also from a freshly loaded and compiled knowledge
    base (not only from the cached compiled form a second call reuses)."""
    case = _example("pan_plexus_haematoma_anticoagulated.yaml")
    first = assess(case, kb).to_dict()
    assert assess(case, kb).to_dict() == first
    assert assess(case, load_knowledge_base()).to_dict() == first


def test_the_assessment_carries_every_part_and_the_kb_version(kb: KnowledgeBase) -> None:
    result = assess(_example("pan_plexus_haematoma_anticoagulated.yaml"), kb)
    assert isinstance(result, Assessment)
    assert result.kb_version == kb.version
    assert math.isclose(sum(c.probability for c in result.etiology), 1.0, rel_tol=1e-9)
    assert result.red_flags[0].urgency == "emergency"
    assert result.workup and result.plan.items and result.outcome
    assert result.outcome["left"].score < result.outcome["left"].maximum


def test_the_json_form_round_trips_through_json(kb: KnowledgeBase) -> None:
    data = assess(_example("sacral_plexus_neoplastic.yaml"), kb).to_dict()
    again = json.loads(json.dumps(data))
    assert again["etiology"][0]["disorder"] == "neoplastic_lumbosacral_plexopathy"
    assert again["localization"][0]["key"] == "sacral_plexus@left"
    assert "for:" in again["etiology"][0]["explanation"]
    assert {"cause_directed", "pain", "rehabilitation", "referrals", "follow_up"} <= set(
        again["plan"]
    )


def _on_anticoagulant(case: Case, drug: str) -> Case:
    data = case.model_dump(mode="json", exclude_none=True)
    data["history"] = {**data.get("history", {}), "anticoagulant": drug}
    return Case.model_validate(data)


def _nsaid(result: Assessment) -> PlanItem:
    offered = [item for item in result.plan.items if item.treatment == "nsaid"]
    assert len(offered) == 1, [item.treatment for item in result.plan.items]
    return offered[0]


def test_an_anticoagulated_patient_sees_nsaids_marked_not_dropped(kb: KnowledgeBase) -> None:
    """An L5 radiculopathy's plan offers an NSAID for pain; on apixaban the NSAID stays in the
    plan, marked contraindicated because of the apixaban, so the clinician sees it was weighed."""
    radiculopathy = _example("l5_radiculopathy.yaml")
    assert not _nsaid(assess(radiculopathy, kb)).contraindicated
    result = assess(_on_anticoagulant(radiculopathy, "apixaban"), kb)
    marked = [item for item in result.plan.items if item.contraindicated]
    nsaid = _nsaid(result)
    assert nsaid in marked
    reasons = [c for c in nsaid.cautions if c.severity == "contraindicated"]
    assert [c.condition for c in reasons] == ["anticoagulated"]
    assert "apixaban" in reasons[0].because


def test_renal_cautions_use_this_patients_egfr(kb: KnowledgeBase) -> None:
    result = assess(_example("pan_plexus_haematoma_anticoagulated.yaml"), kb)
    renal = [
        caution
        for item in result.plan.items
        for caution in item.cautions
        if caution.condition == "renal_impairment"
    ]
    assert renal and all(c.because == "eGFR 48" for c in renal)


def test_no_orthosis_for_a_deficit_the_exam_does_not_show(kb: KnowledgeBase) -> None:
    result = assess(_example("diabetic_amyotrophy_upper_plexus.yaml"), kb)
    offered = {item.treatment for item in result.plan.items}
    assert "ankle_foot_orthosis" not in offered
    assert "knee_ankle_foot_orthosis" in offered


def test_the_first_week_case_is_uncertain_and_says_so(kb: KnowledgeBase) -> None:
    result = assess(_example("early_first_week_uncertain.yaml"), kb)
    assert result.localization.leader.probability < 0.5
    assert result.etiology[0].probability < 0.5
    notes = " ".join(result.uncertainty)
    assert "First week" in notes
    assert "cause is uncertain" in notes
    assert any(item.test == "emg_ncs" and "2026-03-22" in item.timing for item in result.workup)


def test_an_empty_case_gives_a_flat_uncertain_answer(kb: KnowledgeBase) -> None:
    result = assess(Case(age=40, sex="female"), kb)
    assert result.localization.leader.probability < 0.1
    assert result.red_flags == ()
    assert result.uncertainty


def test_batch_agrees_with_one_case_at_a_time(kb: KnowledgeBase) -> None:
    names = ["psoas_abscess.yaml", "cidp.yaml", "bilateral_radiation_plexopathy.yaml"]
    cases = [_example(name) for name in names]
    batch = assess_batch(cases, kb)
    assert len(batch) == 3
    for row, case in enumerate(cases):
        single = assess(case, kb)
        answer = batch.case(row)
        assert answer["etiology"][0]["disorder"] == single.leading_cause
        assert answer["localization"][0]["key"] == single.leading_localization
        by_id = {c.disorder: c.probability for c in single.etiology}
        for col, disorder in enumerate(batch.disorders):
            assert math.isclose(batch.etiology[row, col], by_id[disorder], abs_tol=1e-9)


def _mirror(case: Case) -> Case:
    swap = {"left": "right", "right": "left", "both": "both"}
    data = case.model_dump(mode="json", exclude_none=True)
    for part in ("exam", "nerve_conduction", "emg"):
        data[part] = {swap[side]: value for side, value in data.get(part, {}).items()}
    if "affected_side" in data:
        data["affected_side"] = swap[data["affected_side"]]
    for finding in data.get("imaging", []):
        if "side" in finding:
            finding["side"] = swap[finding["side"]]
    return Case.model_validate(data)


def test_mirroring_left_and_right_leaves_the_causes_unchanged(kb: KnowledgeBase) -> None:
    for name in ("sacral_plexus_neoplastic.yaml", "femoral_neuropathy_after_hip_surgery.yaml"):
        case = _example(name)
        original, mirrored = assess(case, kb), assess(_mirror(case), kb)
        before_leader, after_leader = original.localization.leader, mirrored.localization.leader
        assert after_leader.id == before_leader.id
        assert {before_leader.side, after_leader.side} == {"left", "right"}
        for before, after in zip(original.etiology, mirrored.etiology, strict=True):
            assert before.disorder == after.disorder
            assert math.isclose(before.probability, after.probability, abs_tol=1e-9)


def test_a_batch_refuses_an_unknown_muscle_naming_the_case_field(kb: KnowledgeBase) -> None:
    """Names are checked once for the whole batch, with the error a single case would give."""
    good = Case.model_validate({"age": 50, "sex": "female"})
    bad = Case.model_validate(
        {"age": 50, "sex": "male", "exam": {"left": {"strength": {"tibialis_anteror": 3}}}}
    )
    with pytest.raises(CaseError) as refused:
        assess_batch([good, bad], kb)
    assert refused.value.field == "exam.left.strength.tibialis_anteror"
    assert "tibialis_anterior" in str(refused.value)
