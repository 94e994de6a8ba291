"""Triage-aware booking: the self-check decides what the patient is offered, and the offer
matches the words.

- **emergency**: go to an emergency department now, with the emergency number to tap; never
  an online slot, because a slot next week must not look like an answer to saddle numbness.
- **same_day**: an appointment that starts within 24 hours, or a same-day call; when the
  clinic's phone team cannot call today, the page says when it can and points to the
  out-of-hours service instead of promising what will not happen.
- **urgent**: the earliest slots of the named specialty within three days, or an urgent call.
- **soon / routine**: an ordinary slot search for that specialty.

Advice that names only a GP (or the emergency department) offers no specialist booking: the
result tells the person to contact their GP, and the clinic's booking stays a choice they can
make, not the advice. Nothing is stored for an anonymous visitor; a signed-in patient's result
is kept in their record (and audited). Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit import service as audit
from plexcare.callbacks.queue_rules import EMERGENCY_ADVICE, CallbackUrgency, response_due
from plexcare.callbacks.service import clinic_targets
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic.service import Specialty
from plexcare.config import get_settings
from plexcare.engine.triage import TriageAdvice, TriageAnswerError, triage
from plexcare.errors import InvalidInput
from plexcare.knowledge.model import KnowledgeBase
from plexcare.scheduling import search
from plexcare.triage.models import TriageRecord

SPECIALTY_FOR_ADVICE = {
    "neurology": Specialty.neurology,
    "neurosurgery": Specialty.neurosurgery,
    "pain_medicine": Specialty.pain_medicine,
    "rehabilitation": Specialty.physical_medicine_rehabilitation,
}
URGENT_WITHIN_DAYS = 3
"""Urgent answers are offered slots from today to three days ahead, or a call."""
SAME_DAY_WITHIN = timedelta(hours=24)
CALL_WITHIN = {"same_day": SAME_DAY_WITHIN, "urgent": timedelta(days=URGENT_WITHIN_DAYS)}
"""How soon a call must come to keep the promise the advice makes."""
SEARCH_DAYS = {"soon": 14, "routine": 42}
OFFERED_SLOTS = 5
FIRST_VISIT_CODE = "new_consultation"

WHAT_TO_DO = {
    "book_today": (
        "Book one of the appointments below, which start within the next 24 hours, or ask us to "
        "call you today."
    ),
    "call_today": (
        "No appointment is free online within 24 hours. Contact your GP practice now, or ask "
        "us to call you."
    ),
    "gp_today": (
        "Contact your GP practice today and say your symptoms need a same-day appointment. If "
        "the practice is closed, call NHS 111 (or your GP's out-of-hours service)."
    ),
    "gp_soon": "Book an appointment with your GP practice within the next few days.",
    "gp": "Book an appointment with your GP practice; they can refer you to a specialist.",
    "book_urgent": "Book one of the earliest urgent appointments below.",
    "book": "Choose an appointment below, or ask us to call you to arrange one.",
    "call_us": (
        "No suitable appointment is free in time online. Ask us to call you and the front "
        "desk will find one for you."
    ),
}


@dataclass(frozen=True)
class SelfCheckOutcome:
    advice: TriageAdvice
    specialty: Specialty | None
    """The clinic specialty the advice names; None when it names only a GP or emergency care."""
    next_step: str
    what_to_do: str
    slots: tuple[search.FoundSlot, ...]
    callback_urgency: CallbackUrgency | None
    callback_due: datetime | None
    """When the phone team would call if asked now (UTC); None when no call is offered."""
    callback_in_time: bool
    """Whether that call comes within the time the advice gives (24 hours for same day)."""
    kb_version: str
    saved_to_record: bool


def specialty_for(advice: TriageAdvice) -> Specialty | None:
    """The first clinic specialty the advice names, or None when it names none."""
    for who in advice.see:
        specialty = SPECIALTY_FOR_ADVICE.get(who)
        if specialty is not None:
            return specialty
    return None


def _first_visit_type_ids(session: Session) -> set[int]:
    """A new-patient consultation; where the clinic has none by that code, any visit type
    that needs no room or machine (an EMG study is not a first visit)."""
    kinds = clinic_repository.appointment_types(session=session)
    named = {kind.id for kind in kinds if kind.code == FIRST_VISIT_CODE}
    if named:
        return named
    return {
        kind.id
        for kind in kinds
        if not clinic_repository.needed_resource_kinds(session=session, appointment_type_id=kind.id)
    }


def offered_slots(
    *,
    session: Session,
    specialty: Specialty,
    within_days: int,
    now: datetime,
    starts_before: datetime | None = None,
) -> tuple[search.FoundSlot, ...]:
    """First-visit slots of `specialty` from today to `within_days` ahead (clinic dates), and,
    when `starts_before` is given, only those starting before that instant."""
    today = now.astimezone(ZoneInfo(get_settings().clinic_timezone)).date()
    type_ids = _first_visit_type_ids(session)
    found = search.search(
        session=session,
        now=now,
        first_day=today,
        last_day=today + timedelta(days=within_days),
        specialty=specialty.value,
        limit=400,
    )
    return tuple(
        item
        for item in found
        if item.appointment_type.id in type_ids
        and (starts_before is None or item.slot.start < starts_before)
    )[:OFFERED_SLOTS]


Route = tuple[str, tuple[search.FoundSlot, ...], CallbackUrgency | None]


def _route(
    session: Session, advice: TriageAdvice, specialty: Specialty | None, now: datetime
) -> Route:
    """What to offer: the next step's key, the slots, and the urgency of a call offered."""
    urgency = advice.urgency
    if urgency == "emergency":
        return "emergency", (), "urgent"
    if urgency == "same_day":
        if specialty is None:
            return "gp_today", (), "urgent"
        slots = offered_slots(
            session=session,
            specialty=specialty,
            within_days=1,
            now=now,
            starts_before=now + SAME_DAY_WITHIN,
        )
        return ("book_today" if slots else "call_today"), slots, "urgent"
    if specialty is None:
        return ("gp_soon" if urgency == "urgent" else "gp"), (), None
    if urgency == "urgent":
        slots = offered_slots(
            session=session, specialty=specialty, within_days=URGENT_WITHIN_DAYS, now=now
        )
        return ("book_urgent" if slots else "call_us"), slots, "urgent"
    slots = offered_slots(
        session=session, specialty=specialty, within_days=SEARCH_DAYS[urgency], now=now
    )
    return ("book" if slots else "call_us"), slots, "routine"


def _check(answers: dict[str, object], kb: KnowledgeBase) -> TriageAdvice:
    try:
        return triage(answers, kb)
    except TriageAnswerError as error:
        raise InvalidInput(error.problem, field=f"answers.{error.field}") from error


def self_check(
    *,
    session: Session,
    actor: Actor,
    answers: dict[str, object],
    kb: KnowledgeBase,
    now: datetime,
) -> SelfCheckOutcome:
    advice = _check(answers, kb)
    specialty = specialty_for(advice)
    next_step, slots, callback_urgency = _route(session, advice, specialty, now)
    saved = False
    if actor.is_patient and actor.user_id is not None:
        record = TriageRecord(
            patient_id=actor.user_id,
            urgency=advice.urgency,
            specialty=specialty.value if specialty else None,
            answers={key: value for key, value in answers.items() if value is not None},
            kb_version=kb.version,
            created_at=now,
        )
        session.add(record)
        session.flush()
        audit.record_access(
            session=session,
            actor=actor,
            action="create",
            subject_type="triage_record",
            subject_id=record.id,
            patient_user_id=actor.user_id,
            now=now,
        )
        saved = True
    due = None
    if callback_urgency is not None:
        due = response_due(requested_at=now, urgency=callback_urgency, targets=clinic_targets())
    limit = CALL_WITHIN.get(advice.urgency)
    in_time = due is not None and (limit is None or due - now <= limit)
    return SelfCheckOutcome(
        advice=advice,
        specialty=specialty,
        next_step=next_step,
        what_to_do=EMERGENCY_ADVICE if next_step == "emergency" else WHAT_TO_DO[next_step],
        slots=slots,
        callback_urgency=callback_urgency,
        callback_due=due,
        callback_in_time=in_time,
        kb_version=kb.version,
        saved_to_record=saved,
    )
