"""The patient self-check: from plain-language answers to how soon to be seen, and by whom.

The questions live in the knowledge base (`triage.yaml`); each answer states shared warning
facts, and the one red-flag rule set (`red_flags.yaml`) that the clinician's report also
applies decides whether this is an emergency, a same-day or a within-days matter. The
self-check's own cited rules add the ordinary advice (about two weeks, or routine).

The most urgent rule that fires sets the urgency; every rule at that level adds its reason
and whom to see. Ordinary (soon or routine) advice is kept as further advice, except under an
emergency, where nothing may distract from going now; a less urgent red flag is not repeated
under a more urgent one, whose timing it would contradict. A question left unanswered fires no
rule, but a blank warning-sign question is never taken as a no: it is named back to the person,
and the advice never says "nothing urgent" while one is open. The advice never names a diagnosis.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass

from plexcare.engine.red_flag_rules import (
    FiredRule,
    RedFlagEvaluation,
    WarningFacts,
    evaluate_red_flags,
)
from plexcare.knowledge.model import (
    ADVICE_ONLY_URGENCIES,
    TRIAGE_URGENCY_ORDER,
    AnswerSignal,
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
    """How soon, whom to see and why; `reasons` speak in plain words, never of a diagnosis."""

    urgency: TriageUrgency
    see: tuple[str, ...]
    reasons: tuple[TriageReason, ...]
    further_advice: tuple[TriageReason, ...]
    notice: str
    unanswered: tuple[str, ...]
    unanswered_warnings: tuple[str, ...] = ()
    """Warning-sign questions left blank, by id: while any is, nothing is called not urgent."""
    could_change: tuple[str, ...] = ()
    """Other blank questions that would complete a more urgent red flag the answers have
    half-stated (cancer said yes, weakness left blank)."""

    @property
    def warnings_open(self) -> bool:
        return bool(self.unanswered_warnings)


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
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
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


URGENCY_HEADLINES: Mapping[str, str] = {
    "emergency": "Go to an emergency department now",
    "same_day": "Get seen today, within 24 hours",
    "urgent": "See a doctor within the next few days",
    "soon": "See a doctor within about two weeks",
    "routine": "A routine appointment is fine",
}
WARNINGS_OPEN_HEADLINE = "We cannot rule out an emergency: some warning-sign questions are blank"
BASELINE_RULE = "baseline_routine"


def _signal_holds(signal: AnswerSignal, value: Answer) -> bool:
    condition = TriageCondition(
        question="answer",
        equals=signal.equals,
        one_of=signal.one_of,
        at_least=signal.at_least,
        at_most=signal.at_most,
    )
    return _holds(condition, {"answer": value})


def warning_facts_from_answers(answers: Mapping[str, Answer], kb: KnowledgeBase) -> WarningFacts:
    """The shared warning facts the answers state; a fact several questions speak to is
    present if any says so and absent only when all of them were answered."""
    present: dict[str, str] = {}
    asked: dict[str, list[bool]] = {}
    for question in kb.triage.questions:
        for signal in question.signals:
            value = answers.get(question.id)
            if value is None:
                asked.setdefault(signal.fact, []).append(False)
                continue
            asked.setdefault(signal.fact, []).append(True)
            if _signal_holds(signal, value) and signal.fact not in present:
                present[signal.fact] = question.text
    absent = {fact for fact, answered in asked.items() if all(answered) and fact not in present}
    return WarningFacts(frozenset(present), frozenset(absent), present)


def _reason_of(fired: FiredRule) -> TriageReason:
    rule = fired.rule
    return TriageReason(rule.id, rule.urgency, " ".join(rule.patient.split()), rule.sources)


def _advice_reason(rule: TriageRule) -> TriageReason:
    return TriageReason(rule.id, rule.urgency, rule.reason, rule.sources)


def _blank_questions(
    checked: Mapping[str, Answer],
    facts: WarningFacts,
    evaluation: RedFlagEvaluation,
    kb: KnowledgeBase,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Blank warning-sign questions, and blank questions that would complete a red flag more
    urgent than the advice so far that the given answers have half-stated. None under an
    emergency: nothing should delay going."""
    top = evaluation.urgency
    if top == "emergency":
        return (), ()
    limit = _TRIAGE_RANK[top] if top is not None else len(_TRIAGE_RANK)
    pressing = {
        fact
        for still_open in evaluation.open
        if _TRIAGE_RANK[still_open.rule.urgency] < limit
        and any(fact in facts.present for group in still_open.rule.when for fact in group)
        for fact in still_open.unknown
    }
    blank = [q for q in kb.triage.questions if q.id not in checked]
    warnings = tuple(q.id for q in blank if q.group == "red_flags")
    could = tuple(
        q.id for q in blank if q.group != "red_flags" and any(s.fact in pressing for s in q.signals)
    )
    return warnings, could


def triage(answers: Mapping[str, object], kb: KnowledgeBase) -> TriageAdvice:
    """Advice for one set of answers: urgency, whom to see, and why, in plain words."""
    checked = check_answers(answers, kb)
    facts = warning_facts_from_answers(checked, kb)
    evaluation = evaluate_red_flags(facts, kb)
    blank, could_change = _blank_questions(checked, facts, evaluation, kb)
    advice_rules = [
        rule
        for rule in kb.triage.rules
        if all(_holds(condition, checked) for condition in rule.when)
        and not ((blank or could_change) and rule.id == BASELINE_RULE)
    ]
    fired = [_reason_of(f) for f in evaluation.fired] + [_advice_reason(r) for r in advice_rules]
    sees = {f.rule.id: f.rule.see for f in evaluation.fired} | {r.id: r.see for r in advice_rules}
    unanswered = tuple(q.id for q in kb.triage.questions if q.id not in checked)
    if not fired:
        return TriageAdvice(
            "routine", ("general_practice",), (), (), kb.triage.notice, unanswered, blank
        )
    top = min(fired, key=lambda reason: _TRIAGE_RANK[reason.urgency]).urgency
    leading = [reason for reason in fired if reason.urgency == top]
    if len(leading) > 1:
        leading = [reason for reason in leading if reason.rule != BASELINE_RULE]
    see: list[str] = []
    for reason in leading:
        see.extend(who for who in sees[reason.rule] if who not in see)
    further = (
        []
        if top == "emergency"
        else [
            reason
            for reason in fired
            if reason.urgency != top
            and reason.urgency in ADVICE_ONLY_URGENCIES
            and reason.rule != BASELINE_RULE
        ]
    )
    return TriageAdvice(
        urgency=top,
        see=tuple(see),
        reasons=tuple(leading),
        further_advice=tuple(sorted(further, key=lambda r: _TRIAGE_RANK[r.urgency])),
        notice=kb.triage.notice,
        unanswered=unanswered,
        unanswered_warnings=blank,
        could_change=could_change,
    )
