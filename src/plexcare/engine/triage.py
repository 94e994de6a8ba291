"""The patient self-check: from plain-language answers to how soon to be seen, and by whom.

The questions and the rules live in the knowledge base (`triage.yaml`, each rule cited) so a
clinician reviews them as data. The most urgent rule that fires sets the urgency; every rule at
that level adds its reason and whom to see; rules at lower levels are kept as further advice.
A question left unanswered fires no rule that needs it. The advice never names a diagnosis.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from plexcare.knowledge.model import (
    TRIAGE_URGENCY_ORDER,
    KnowledgeBase,
    TriageCondition,
    TriageQuestion,
    TriageRule,
    TriageUrgency,
)

Answer = bool | str | float
_TRIAGE_RANK: Mapping[str, int] = {level: rank for rank, level in enumerate(TRIAGE_URGENCY_ORDER)}


class TriageAnswerError(ValueError):
    """An answer the questionnaire cannot use; `field` names the question."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class TriageReason:
    rule: str
    urgency: TriageUrgency
    reason: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class TriageAdvice:
    urgency: TriageUrgency
    see: tuple[str, ...]
    reasons: tuple[TriageReason, ...]
    further_advice: tuple[TriageReason, ...]
    notice: str
    unanswered: tuple[str, ...]


def _check_answer(question: TriageQuestion, value: object) -> Answer:
    if question.kind == "yes_no":
        if not isinstance(value, bool):
            raise TriageAnswerError(question.id, "answer yes or no (true/false)")
        return value
    if question.kind == "choice":
        options = [o.id for o in question.options]
        if not isinstance(value, str) or value not in options:
            raise TriageAnswerError(question.id, f"choose one of: {', '.join(options)}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TriageAnswerError(question.id, "give a number")
    low, high = question.minimum, question.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise TriageAnswerError(question.id, f"give a number from {low:g} to {high:g}")
    return float(value)


def check_answers(answers: Mapping[str, object], kb: KnowledgeBase) -> dict[str, Answer]:
    """Validate answers against the questionnaire; an unknown question lists close matches."""
    questions = {q.id: q for q in kb.triage.questions}
    checked: dict[str, Answer] = {}
    for key, value in answers.items():
        if value is None:
            continue
        question = questions.get(key)
        if question is None:
            close = difflib.get_close_matches(key, questions, n=3, cutoff=0.5)
            hint = f"; did you mean: {', '.join(close)}" if close else ""
            raise TriageAnswerError(key, f"no such question{hint}")
        checked[key] = _check_answer(question, value)
    return checked


def _holds(condition: TriageCondition, answers: Mapping[str, Answer]) -> bool:
    value = answers.get(condition.question)
    if value is None:
        return False
    if condition.equals is not None:
        return value is condition.equals
    if condition.one_of:
        return value in condition.one_of
    if isinstance(value, bool | str):
        return False
    if condition.at_least is not None and value < condition.at_least:
        return False
    return not (condition.at_most is not None and value > condition.at_most)


def _reason(rule: TriageRule) -> TriageReason:
    return TriageReason(rule.id, rule.urgency, rule.reason, rule.sources)


def triage(answers: Mapping[str, object], kb: KnowledgeBase) -> TriageAdvice:
    """Advice for one set of answers: urgency, whom to see, and why, in plain words."""
    checked = check_answers(answers, kb)
    fired = [
        rule
        for rule in kb.triage.rules
        if all(_holds(condition, checked) for condition in rule.when)
    ]
    unanswered = tuple(q.id for q in kb.triage.questions if q.id not in checked)
    if not fired:
        return TriageAdvice(
            urgency="routine",
            see=("general_practice",),
            reasons=(),
            further_advice=(),
            notice=kb.triage.notice,
            unanswered=unanswered,
        )
    top = min(fired, key=lambda rule: _TRIAGE_RANK[rule.urgency]).urgency
    leading = [rule for rule in fired if rule.urgency == top]
    if any(rule.when for rule in leading):
        leading = [rule for rule in leading if rule.when]  # the baseline only speaks alone
    see: list[str] = []
    for rule in leading:
        see.extend(who for who in rule.see if who not in see)
    further = [r for r in fired if r.urgency != top and r.when]
    return TriageAdvice(
        urgency=top,
        see=tuple(see),
        reasons=tuple(_reason(r) for r in leading),
        further_advice=tuple(
            _reason(r) for r in sorted(further, key=lambda r: _TRIAGE_RANK[r.urgency])
        ),
        notice=kb.triage.notice,
        unanswered=unanswered,
    )
