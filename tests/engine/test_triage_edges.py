"""The self-check engine at the edges `make mutate` found unguarded: a threshold answer exactly
on the line, a blank answer among given ones, a fact several questions speak to, which blank
questions are asked back, and what a refused answer tells the person."""

from __future__ import annotations

from typing import Any

import pytest

from plexcare.engine.triage import (
    TriageAnswerError,
    check_answers,
    triage,
    warning_facts_from_answers,
)
from plexcare.knowledge.loader import knowledge_base
from tests.self_check_answers import NO_WARNINGS

KB = knowledge_base()
RED_FLAG_PATIENT_WORDS = {rule.id: " ".join(rule.patient.split()) for rule in KB.red_flags.rules}


def test_a_pain_score_exactly_on_the_line_counts_as_severe() -> None:
    on_the_line = triage({**NO_WARNINGS, "pain_score": 7}, KB)
    below = triage({**NO_WARNINGS, "pain_score": 6}, KB)
    assert [reason.rule for reason in on_the_line.reasons] == ["severe_pain_soon"]
    assert on_the_line.urgency == "soon"
    assert [reason.rule for reason in below.reasons] == ["baseline_routine"]


def test_a_blank_answer_does_not_hide_the_answers_after_it() -> None:
    assert check_answers({"fever": None, "back_pain": True, "pain_score": 4}, KB) == {
        "back_pain": True,
        "pain_score": 4.0,
    }


def test_a_fact_is_absent_only_when_every_question_about_it_was_answered() -> None:
    """Chemotherapy also speaks to infection risk: left blank, infection risk stays unknown
    even though the other infection-risk questions were answered no."""
    others_no = {"weak_immunity": False, "injects_drugs": False}
    blank = warning_facts_from_answers(check_answers(others_no, KB), KB)
    answered = warning_facts_from_answers(
        check_answers({**others_no, "chemotherapy": False}, KB), KB
    )
    assert blank.is_unknown("infection_risk")
    assert "infection_risk" in answered.absent


def test_only_questions_that_could_make_the_advice_more_urgent_are_asked_back() -> None:
    answers: dict[str, Any] = {
        **NO_WARNINGS,
        "groin_or_hip_pain": False,
        "groin_procedure": False,
        "radiotherapy": True,
        "weak_immunity": False,
        "injects_drugs": False,
        "spinal_procedure": False,
    }
    advice = triage(answers, KB)
    assert advice.urgency == "urgent"
    assert advice.could_change == ("leg_weakness", "back_pain", "leg_pain", "numbness")


def test_with_nothing_answered_the_advice_is_a_gp_and_every_question_is_open() -> None:
    advice = triage({}, KB)
    assert (advice.urgency, advice.see, advice.reasons) == ("routine", ("general_practice",), ())
    assert advice.unanswered == tuple(question.id for question in KB.triage.questions)
    assert advice.warnings_open


def test_the_unanswered_questions_are_exactly_those_left_blank() -> None:
    advice = triage({**NO_WARNINGS, "pain_score": 3}, KB)
    given = {*NO_WARNINGS, "pain_score"}
    assert advice.unanswered == tuple(q.id for q in KB.triage.questions if q.id not in given)


def test_the_baseline_gives_way_to_any_other_routine_reason() -> None:
    everything_answered = {
        question.id: False for question in KB.triage.questions if question.kind == "yes_no"
    }
    answers = {
        **everything_answered,
        "weakness_getting_worse": "not_worse",
        "which_legs": "one",
        "leg_weakness": "none",
        "started": "months",
        "began": "longer",
        "pain_score": 2,
        "age": 50,
        "numbness": True,
    }
    advice = triage(answers, KB)
    assert advice.could_change == () and advice.unanswered == ()
    assert [reason.rule for reason in advice.reasons] == ["numbness_routine"]


def test_a_red_flag_speaks_to_the_patient_in_the_rules_own_words() -> None:
    advice = triage({"saddle_numbness": True, "back_pain": True}, KB)
    assert advice.urgency == "emergency"
    for reason in advice.reasons:
        assert reason.reason == RED_FLAG_PATIENT_WORDS[reason.rule]


@pytest.mark.parametrize(
    ("answers", "field", "problem"),
    [
        ({"fever": "yes"}, "fever", "answer yes or no (true/false)"),
        (
            {"leg_weakness": "x"},
            "leg_weakness",
            "choose one of: none, mild, walking_hard, cannot_stand",
        ),
        ({"pain_score": "a"}, "pain_score", "give a number"),
        ({"pain_score": 11}, "pain_score", "give a number from 0 to 10"),
        ({"zzzz": True}, "zzzz", "no such question"),
        ({"pain": True}, "pain", "no such question; did you mean: leg_pain, back_pain, pain_score"),
    ],
)
def test_a_refused_answer_says_what_would_be_accepted(
    answers: dict[str, Any], field: str, problem: str
) -> None:
    with pytest.raises(TriageAnswerError) as raised:
        check_answers(answers, KB)
    assert (raised.value.field, raised.value.problem) == (field, problem)
