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
from tests.self_check_answers import NO_WARNINGS

KB = knowledge_base()

EMERGENCIES: list[dict[str, Any]] = [
    {"saddle_numbness": True},
    {"bladder_bowel_trouble": True},
    {"blood_thinner": True, "sudden_pain": True},
    {"fever": True, "back_pain": True},
    {"cold_pale_leg": True},
    {"breathing_or_swallowing": True},
    {"weakness_getting_worse": "day_to_day"},
]


def _answers_strategy() -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for question in KB.triage.questions:
        if question.kind == "yes_no":
            fields[question.id] = st.booleans()
        elif question.kind == "choice":
            fields[question.id] = st.sampled_from([o.id for o in question.options])
        else:
            fields[question.id] = st.integers(
                int(question.minimum or 0), int(question.maximum or 10)
            )
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
    assert advice.further_advice == ()


@pytest.mark.parametrize(
    ("answers", "urgency"),
    [
        ({"saddle_numbness": True}, "emergency"),
        (
            {
                "cancer": True,
                "back_pain": True,
                "leg_weakness": "none",
                "numbness": False,
                "leg_pain": False,
            },
            "same_day",
        ),
        ({"weakness_getting_worse": "over_weeks"}, "urgent"),
        ({"leg_weakness": "walking_hard", "started": "weeks"}, "soon"),
        ({"numbness": True}, "routine"),
        ({}, "routine"),
    ],
)
def test_every_urgency_level_is_reachable(answers: dict[str, Any], urgency: str) -> None:
    assert triage({**NO_WARNINGS, **answers}, KB).urgency == urgency


def test_no_warning_signs_gives_routine_gp_advice_with_the_baseline_reason() -> None:
    advice = triage({**NO_WARNINGS, "pain_score": 2}, KB)
    assert advice.urgency == "routine"
    assert advice.see == ("general_practice",)
    assert "anything urgent" in advice.reasons[0].reason
    assert advice.unanswered_warnings == ()


@pytest.mark.parametrize("blank", list(NO_WARNINGS))
def test_a_blank_warning_question_is_named_and_nothing_is_called_not_urgent(blank: str) -> None:
    answers = {key: value for key, value in NO_WARNINGS.items() if key != blank}
    advice = triage({**answers, "pain_score": 2}, KB)
    assert advice.unanswered_warnings == (blank,)
    text = " ".join(r.reason for r in (*advice.reasons, *advice.further_advice))
    assert "anything urgent" not in text


def test_all_warning_questions_blank_are_all_named() -> None:
    advice = triage({"numbness": True}, KB)
    warning_ids = {q.id for q in KB.triage.questions if q.group == "red_flags"}
    assert warning_ids <= set(advice.unanswered_warnings)


def test_a_half_stated_red_flag_asks_for_the_answer_that_completes_it() -> None:
    """Cancer said yes and weakness left blank: the weakness question is named back."""
    advice = triage({**NO_WARNINGS, "cancer": True}, KB)
    assert "leg_weakness" in advice.could_change
    assert "numbness" in advice.could_change
    assert advice.unanswered_warnings == ()
    assert "anything urgent" not in " ".join(r.reason for r in advice.reasons)


@given(_answers_strategy())
def test_no_reason_is_given_twice(answers: dict[str, Any]) -> None:
    advice = triage(answers, KB)
    rules = [r.rule for r in (*advice.reasons, *advice.further_advice)]
    assert len(rules) == len(set(rules))


def test_a_less_urgent_red_flag_is_not_repeated_under_a_more_urgent_one() -> None:
    """Cancer with back pain is same-day; its within-days rule would contradict the timing."""
    advice = triage(
        {
            **NO_WARNINGS,
            "cancer": True,
            "back_pain": True,
            "leg_weakness": "none",
            "numbness": False,
            "leg_pain": False,
        },
        KB,
    )
    assert advice.urgency == "same_day"
    assert all(r.urgency in ("soon", "routine") for r in advice.further_advice)


def test_lower_level_advice_is_kept_as_further_advice_below_an_emergency_only() -> None:
    urgent = triage({**NO_WARNINGS, "weakness_getting_worse": "over_weeks", "pain_score": 9}, KB)
    assert urgent.urgency == "urgent"
    assert [r.rule for r in urgent.further_advice] == ["severe_pain_soon"]
    emergency = triage({**NO_WARNINGS, "saddle_numbness": True, "pain_score": 9}, KB)
    assert emergency.further_advice == ()


def test_a_blood_thinner_with_a_weak_leg_is_seen_today_without_visible_bleeding() -> None:
    advice = triage(
        {**NO_WARNINGS, "blood_thinner": True, "leg_weakness": "walking_hard", "started": "weeks"},
        KB,
    )
    assert advice.urgency == "same_day"
    assert [r.rule for r in advice.reasons] == ["bleeding_risk_with_weakness"]


def test_a_fact_stated_by_several_questions_is_absent_only_when_all_say_no() -> None:
    from plexcare.engine.triage import warning_facts_from_answers

    one_no = warning_facts_from_answers({"injects_drugs": False}, KB)
    assert one_no.is_unknown("infection_risk")
    all_no = warning_facts_from_answers(
        {"injects_drugs": False, "weak_immunity": False, "chemotherapy": False}, KB
    )
    assert "infection_risk" in all_no.absent
    one_yes = warning_facts_from_answers({"injects_drugs": False, "chemotherapy": True}, KB)
    assert {"infection_risk", "chemotherapy_recent"} <= one_yes.present


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
    for flag in kb.red_flags.rules:
        assert all(source in kb.references for source in flag.sources)
    levels = {r.urgency for r in kb.triage.rules} | {r.urgency for r in kb.red_flags.rules}
    assert levels == set(TRIAGE_URGENCY_ORDER)


def test_the_self_check_cannot_hold_its_own_emergency_rule(tmp_path: Path) -> None:
    """Emergencies live in the shared red-flag rules so the clinician's report agrees."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    text = (data / "triage.yaml").read_text()
    (data / "triage.yaml").write_text(text.replace("urgency: soon", "urgency: emergency", 1))
    with pytest.raises(KnowledgeBaseError, match="red-flag rules"):
        load_knowledge_base(data)


def test_an_answer_signalling_an_unknown_fact_fails_to_load(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    text = (data / "triage.yaml").read_text()
    (data / "triage.yaml").write_text(text.replace("{fact: sudden_pain,", "{fact: sudden_pian,"))
    with pytest.raises(KnowledgeBaseError, match="sudden_pian"):
        load_knowledge_base(data)


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
            "{question: leg_weakness, one_of: [mild]}", "{question: leg_weaknes, one_of: [mild]}"
        )
    )
    (data / "triage.yaml").write_text(broken)
    with pytest.raises(KnowledgeBaseError, match=r"triage\.yaml") as error:
        load_knowledge_base(data)
    assert "leg_weaknes" in str(error.value)


def test_a_rule_citing_an_unknown_reference_fails_to_load(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    text = (data / "triage.yaml").read_text()
    (data / "triage.yaml").write_text(text.replace("[stewart_focal_2010]", "[no_such_ref_2099]"))
    with pytest.raises(KnowledgeBaseError, match="no_such_ref_2099"):
        load_knowledge_base(data)
