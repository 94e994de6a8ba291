"""What the symptom self-check pages show: the questions in plain words, the answers read
back from a form, and the advice. No web code here, so the tests can check the advice
without HTML.

The advice speaks of how soon to be seen and by whom, never of a diagnosis (the knowledge
base's rules are written that way). An emergency never offers an online appointment: a
slot next week must not look like an answer to numbness between the legs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from plexcare.engine.triage import URGENCY_HEADLINES, WARNINGS_OPEN_HEADLINE
from plexcare.knowledge.model import KnowledgeBase, TriageQuestion
from plexcare.portal import form_values
from plexcare.portal.layout import Frame, PortalPage, when_label
from plexcare.scheduling.search import FoundSlot
from plexcare.triage.service import SelfCheckOutcome

GROUP_TITLES = {
    "red_flags": "Warning signs",
    "symptoms": "Your symptoms",
    "risk_factors": "Your health and recent events",
}
WHOM = {
    "emergency_department": "an emergency department",
    "neurology": "a neurologist (a nerve specialist)",
    "neurosurgery": "a spinal surgeon",
    "pain_medicine": "a pain specialist",
    "rehabilitation": "a rehabilitation team (physiotherapy)",
    "general_practice": "your GP (family doctor)",
}
SPECIALTY_NAMES = {
    "neurology": "a neurologist",
    "neurosurgery": "a spinal surgeon",
    "pain_medicine": "a pain specialist",
    "physical_medicine_rehabilitation": "a rehabilitation doctor",
}
AT_LEAST_ONE = "answers"
"""The error key when nothing was answered at all."""


@dataclass(frozen=True)
class OptionView:
    value: str
    label: str


@dataclass(frozen=True)
class QuestionView:
    id: str
    text: str
    help: str
    kind: str
    options: tuple[OptionView, ...]
    minimum: float | None
    maximum: float | None
    value: str
    error: str


@dataclass(frozen=True)
class QuestionGroup:
    id: str
    title: str
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True, kw_only=True)
class SelfCheckFormPage(PortalPage):
    notice: str
    groups: tuple[QuestionGroup, ...]
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OfferedSlot:
    when: str
    clinician: str
    visit: str
    href: str


@dataclass(frozen=True)
class KeptAnswer:
    """An answer already given, carried in a hidden field when blank questions are re-asked."""

    name: str
    value: str


@dataclass(frozen=True, kw_only=True)
class SelfCheckResultPage(PortalPage):
    urgency: str
    heading: str
    see: tuple[str, ...]
    reasons: tuple[str, ...]
    further_advice: tuple[str, ...]
    notice: str
    booking_href: str | None
    booking_label: str
    what_to_do: str
    slots: tuple[OfferedSlot, ...]
    callback_href: str
    callback_note: str
    callback_in_time: bool
    saved_to_record: bool
    emergency_number: str
    out_of_hours_number: str
    blank_warnings: tuple[QuestionView, ...] = ()
    could_change: tuple[QuestionView, ...] = ()
    kept_answers: tuple[KeptAnswer, ...] = ()

    @property
    def is_emergency(self) -> bool:
        return self.urgency == "emergency"

    @property
    def warnings_open(self) -> bool:
        return bool(self.blank_warnings)

    @property
    def asks_again(self) -> bool:
        return bool(self.blank_warnings or self.could_change)


YES_NO = (OptionView("yes", "Yes"), OptionView("no", "No"))


def _options(question: TriageQuestion) -> tuple[OptionView, ...]:
    if question.kind == "yes_no":
        return YES_NO
    return tuple(OptionView(option.id, option.text) for option in question.options)


def _range_message(question: TriageQuestion) -> str:
    low = f"{question.minimum:g}" if question.minimum is not None else "0"
    high = f"{question.maximum:g}" if question.maximum is not None else "any"
    return f"Enter a whole number from {low} to {high}, or leave it empty."


def read_answers(
    fields: Mapping[str, str], kb: KnowledgeBase
) -> tuple[dict[str, object], dict[str, str]]:
    """The answers a form gives, and a plain message per question it cannot use.

    Empty means unanswered: the self-check works with whatever the person could answer, but
    it needs at least one answer to say anything about them.
    """
    answers: dict[str, object] = {}
    errors: dict[str, str] = {}
    for question in kb.triage.questions:
        raw = fields.get(question.id, "").strip()
        if not raw:
            continue
        if question.kind == "yes_no":
            if raw not in ("yes", "no"):
                errors[question.id] = "Choose yes or no."
                continue
            answers[question.id] = raw == "yes"
        elif question.kind == "choice":
            if raw not in {option.id for option in question.options}:
                errors[question.id] = "Choose one of the answers."
                continue
            answers[question.id] = raw
        else:
            number = form_values.decimal_number(
                raw, minimum=question.minimum, maximum=question.maximum
            )
            if number is None:
                errors[question.id] = _range_message(question)
                continue
            answers[question.id] = number
    if not answers and not errors:
        errors[AT_LEAST_ONE] = "Answer at least one question so the check can advise you."
    return answers, errors


def _question_view(question: TriageQuestion, value: str = "", error: str = "") -> QuestionView:
    return QuestionView(
        id=question.id,
        text=question.text,
        help=question.help,
        kind=question.kind,
        options=_options(question),
        minimum=question.minimum,
        maximum=question.maximum,
        value=value,
        error=error,
    )


def form_page(
    frame: Frame,
    kb: KnowledgeBase,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> SelfCheckFormPage:
    values = values or {}
    errors = errors or {}
    groups = []
    for group_id, title in GROUP_TITLES.items():
        questions = tuple(
            _question_view(q, values.get(q.id, "").strip(), errors.get(q.id, ""))
            for q in kb.triage.questions
            if q.group == group_id
        )
        if questions:
            groups.append(QuestionGroup(id=group_id, title=title, questions=questions))
    return SelfCheckFormPage(
        frame=frame, notice=kb.triage.notice, groups=tuple(groups), errors=dict(errors)
    )


def _plain(reason: str) -> str:
    return " ".join(reason.split())


def _offered(found: FoundSlot, zone: ZoneInfo) -> OfferedSlot:
    day = found.slot.start.astimezone(zone).date().isoformat()
    query = urlencode(
        {
            "specialty": found.clinician.specialty,
            "clinician_id": found.clinician.id,
            "appointment_type_id": found.appointment_type.id,
            "from": day,
            "to": day,
        }
    )
    return OfferedSlot(
        when=when_label(found.slot.start, zone),
        clinician=found.clinician.full_name,
        visit=found.appointment_type.name,
        href=f"/book?{query}",
    )


def _callback_note(outcome: SelfCheckOutcome, zone: ZoneInfo, out_of_hours: str) -> str:
    """When the phone team would call, said honestly, evenings and weekends included."""
    if outcome.callback_due is None or outcome.advice.urgency == "emergency":
        return ""
    due = when_label(outcome.callback_due, zone)
    if outcome.callback_in_time:
        return f"If you ask now, the clinic will call you by {due}."
    return (
        f"The clinic's phone team is closed now and could not call you before {due}, which is "
        f"later than you should wait. Call {out_of_hours} (the urgent advice line) or your GP "
        "out-of-hours service now instead."
    )


def result_page(
    frame: Frame,
    outcome: SelfCheckOutcome,
    zone: ZoneInfo,
    kb: KnowledgeBase,
    *,
    fields: Mapping[str, str] | None = None,
    emergency_number: str = "999",
    out_of_hours_number: str = "111",
) -> SelfCheckResultPage:
    """The advice as the person reads it. Under an emergency nothing else competes: no
    slots, no booking, no lower-level advice. Blank warning-sign questions are asked again."""
    advice = outcome.advice
    emergency = advice.urgency == "emergency"
    specialty = outcome.specialty.value if outcome.specialty else None
    questions = {q.id: q for q in kb.triage.questions}
    blank = tuple(_question_view(questions[q]) for q in advice.unanswered_warnings)
    could_change = tuple(_question_view(questions[q]) for q in advice.could_change)
    heading = URGENCY_HEADLINES[advice.urgency]
    if blank and not emergency:
        heading = WARNINGS_OPEN_HEADLINE
    kept = tuple(
        KeptAnswer(name, value.strip())
        for name, value in (fields or {}).items()
        if name in questions and value.strip()
    )
    return SelfCheckResultPage(
        frame=frame,
        urgency=advice.urgency,
        heading=heading,
        see=tuple(WHOM.get(who, who.replace("_", " ")) for who in advice.see),
        reasons=tuple(_plain(reason.reason) for reason in advice.reasons),
        further_advice=() if emergency else tuple(_plain(r.reason) for r in advice.further_advice),
        notice=advice.notice,
        booking_href=None
        if emergency or specialty is None or outcome.next_step == "call_today"
        else f"/book?specialty={specialty}",
        booking_label="Find the earliest appointment with "
        + SPECIALTY_NAMES.get(specialty or "", specialty or ""),
        what_to_do="" if emergency else outcome.what_to_do,
        slots=() if emergency else tuple(_offered(found, zone) for found in outcome.slots),
        callback_href=f"/self-check/callback?urgency={outcome.callback_urgency or 'routine'}",
        callback_note=_callback_note(outcome, zone, out_of_hours_number),
        callback_in_time=outcome.callback_in_time,
        saved_to_record=outcome.saved_to_record,
        emergency_number=emergency_number,
        out_of_hours_number=out_of_hours_number,
        blank_warnings=blank,
        could_change=could_change,
        kept_answers=kept,
    )
