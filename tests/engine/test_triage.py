"""The patient self-check: urgency and whom to see from plain answers, never a diagnosis."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.engine.triage import TriageAnswerError, triage
from plexcare.knowledge.errors import KnowledgeBaseError
from plexcare.knowledge.loader import DATA_DIR, knowledge_base, load_knowledge_base
from plexcare.knowledge.model import TRIAGE_URGENCY_ORDER, KnowledgeBase

KB = knowledge_base()

EMERGENCIES: list[dict[str, Any]] = [
    {"saddle_numbness": True},
    {"bladder_bowel_trouble": True},
    {"blood_thinner": True, "bleeding_or_swelling": True},
    {"fever": True, "back_pain": True},
]


def _answers_strategy() -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for question in KB.triage.questions:
        if question.kind == "yes_no":
            fields[question.id] = st.booleans()
        elif question.kind == "choice":
            fields[question.id] = st.sampled_from([o.id for o in question.options])
        else:
            fields[question.id] = st.integers(0, 10)
    return st.fixed_dictionaries({}, optional=fields)


@pytest.mark.parametrize("trigger", EMERGENCIES)
def test_each_emergency_sign_sends_the_patient_to_the_emergency_department(
    trigger: dict[str, Any],
) -> None:
    advice = triage(trigger, KB)
    assert advice.urgency == "emergency"
    assert advice.see[0] == "emergency_department"
    assert advice.reasons


@given(_answers_strategy(), st.sampled_from(EMERGENCIES))
def test_emergency_answers_always_give_emergency_advice_whatever_else_is_said(
    answers: dict[str, Any], trigger: dict[str, Any]
) -> None:
    advice = triage({**answers, **trigger}, KB)
    assert advice.urgency == "emergency"
    assert "emergency_department" in advice.see


@pytest.mark.parametrize(
    ("answers", "urgency"),
    [
        ({"saddle_numbness": True}, "emergency"),
        ({"weakness_getting_worse": True}, "urgent"),
        ({"leg_weakness": "walking_hard", "started": "weeks"}, "soon"),
        ({"numbness": True}, "routine"),
        ({}, "routine"),
    ],
)
def test_every_urgency_level_is_reachable(answers: dict[str, Any], urgency: str) -> None:
    assert triage(answers, KB).urgency == urgency


def test_no_warning_signs_gives_routine_gp_advice_with_the_baseline_reason() -> None:
    advice = triage({"saddle_numbness": False, "fever": False, "pain_score": 2}, KB)
    assert advice.urgency == "routine"
    assert advice.see == ("general_practice",)
    assert "anything urgent" in advice.reasons[0].reason


def test_lower_level_advice_is_kept_as_further_advice() -> None:
    advice = triage({"saddle_numbness": True, "pain_score": 9}, KB)
    assert advice.urgency == "emergency"
    assert [r.rule for r in advice.further_advice] == ["severe_pain_soon"]


def test_a_blood_thinner_with_a_weak_leg_is_urgent_without_visible_bleeding() -> None:
    advice = triage({"blood_thinner": True, "leg_weakness": "walking_hard"}, KB)
    assert advice.urgency == "urgent"


@given(_answers_strategy())
def test_advice_never_names_a_diagnosis(answers: dict[str, Any]) -> None:
    advice = triage(answers, KB)
    text = " ".join(r.reason for r in (*advice.reasons, *advice.further_advice)).lower()
    for disorder in KB.disorders.values():
        assert disorder.name.lower() not in text
    for word in ("plexopathy", "radiculopathy", "cauda equina", "diagnosis is"):
        assert word not in text


def test_every_rule_cites_a_known_reference(kb: KnowledgeBase) -> None:
    for rule in kb.triage.rules:
        assert all(source in kb.references for source in rule.sources)
    assert {r.urgency for r in kb.triage.rules} == set(TRIAGE_URGENCY_ORDER)


def test_an_unknown_question_is_an_error_that_suggests_the_close_match() -> None:
    with pytest.raises(TriageAnswerError, match="saddle_numbness") as error:
        triage({"saddle_numbnes": True}, KB)
    assert error.value.field == "saddle_numbnes"


def test_a_wrong_answer_type_is_an_error_naming_the_question() -> None:
    with pytest.raises(TriageAnswerError, match="pain_score"):
        triage({"pain_score": 14}, KB)
    with pytest.raises(TriageAnswerError, match="leg_weakness: choose one of"):
        triage({"leg_weakness": "very"}, KB)


def test_a_rule_asking_an_unknown_question_fails_to_load_naming_triage(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    broken = (
        (data / "triage.yaml")
        .read_text()
        .replace(
            "{question: saddle_numbness, equals: true}", "{question: saddle_numbnes, equals: true}"
        )
    )
    (data / "triage.yaml").write_text(broken)
    with pytest.raises(KnowledgeBaseError, match=r"triage\.yaml") as error:
        load_knowledge_base(data)
    assert "saddle_numbnes" in str(error.value)


def test_a_rule_citing_an_unknown_reference_fails_to_load(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    text = (data / "triage.yaml").read_text()
    (data / "triage.yaml").write_text(text.replace("[stewart_focal_2010]", "[no_such_ref_2099]"))
    with pytest.raises(KnowledgeBaseError, match="no_such_ref_2099"):
        load_knowledge_base(data)
