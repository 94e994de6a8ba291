"""Reading the self-check form: every answer the form can send is understood, and anything
else becomes a message for that question, never an exception."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.triage.views import AT_LEAST_ONE, read_answers

KB = knowledge_base()
QUESTION_IDS = [question.id for question in KB.triage.questions]


def test_yes_no_choices_and_numbers_are_read_as_the_engine_expects(kb: KnowledgeBase) -> None:
    answers, errors = read_answers(
        {"fever": "yes", "back_pain": "no", "leg_weakness": "mild", "pain_score": "7"}, kb
    )
    assert errors == {}
    assert answers == {"fever": True, "back_pain": False, "leg_weakness": "mild", "pain_score": 7.0}


def test_unanswered_questions_are_left_out(kb: KnowledgeBase) -> None:
    answers, errors = read_answers({"fever": "", "numbness": "yes", "unrelated": "x"}, kb)
    assert answers == {"numbness": True}
    assert errors == {}


def test_nothing_answered_asks_for_one_answer(kb: KnowledgeBase) -> None:
    assert read_answers({}, kb) == ({}, {AT_LEAST_ONE: read_answers({}, kb)[1][AT_LEAST_ONE]})


@given(st.dictionaries(st.sampled_from(QUESTION_IDS), st.text(max_size=12)))
def test_any_submitted_text_gives_answers_or_messages_for_exactly_the_bad_questions(
    fields: dict[str, str],
) -> None:
    answers, errors = read_answers(fields, KB)
    assert not set(answers) & set(errors)
    assert set(errors) <= {*fields, AT_LEAST_ONE}
    for question in KB.triage.questions:
        if question.id in answers and question.kind == "number":
            value = answers[question.id]
            assert isinstance(value, float)
            assert question.minimum is None or value >= question.minimum
            assert question.maximum is None or value <= question.maximum
