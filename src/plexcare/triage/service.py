"""Triage-aware booking: the engine's self-check decides what the patient is offered.

- **emergency**: emergency advice and the offer of a call; never an online slot, because a
  slot next week must not look like an answer to saddle numbness or bleeding on a blood thinner.
- **urgent**: the earliest consultation slots of the right specialty within a few days; if none
  is free, the offer of an urgent call instead.
- **soon / routine**: an ordinary slot search for that specialty.

Whom to see comes from the self-check (`see`), mapped onto the clinic's specialties; advice
that names only a GP or the emergency department is offered the clinic's neurologists, who
see every patient with a suspected plexopathy first. Nothing is stored for an anonymous
visitor; a signed-in patient's result is kept in their record (and audited). Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit import service as audit
from plexcare.callbacks.queue_rules import EMERGENCY_ADVICE
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
DEFAULT_SPECIALTY = Specialty.neurology
URGENT_WITHIN_DAYS = 3
"""Urgent answers are offered slots from today to three days ahead, or a call."""
SEARCH_DAYS = {"soon": 14, "routine": 42}
OFFERED_SLOTS = 5
FIRST_VISIT_CODE = "new_consultation"

WHAT_TO_DO = {
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
    specialty: Specialty
    next_step: str
    what_to_do: str
    slots: tuple[search.FoundSlot, ...]
    callback_urgency: str | None
    kb_version: str
    saved_to_record: bool


def specialty_for(advice: TriageAdvice) -> Specialty:
    """The first clinic specialty the advice names, else the clinic's neurologists."""
    for who in advice.see:
        specialty = SPECIALTY_FOR_ADVICE.get(who)
        if specialty is not None:
            return specialty
    return DEFAULT_SPECIALTY


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
    *, session: Session, specialty: Specialty, within_days: int, now: datetime
) -> tuple[search.FoundSlot, ...]:
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
    return tuple(item for item in found if item.appointment_type.id in type_ids)[:OFFERED_SLOTS]


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
    slots: tuple[search.FoundSlot, ...] = ()
    callback_urgency: str | None = None
    if advice.urgency == "emergency":
        next_step, what_to_do, callback_urgency = "emergency", EMERGENCY_ADVICE, "urgent"
    elif advice.urgency == "urgent":
        slots = offered_slots(
            session=session, specialty=specialty, within_days=URGENT_WITHIN_DAYS, now=now
        )
        next_step = "book_urgent" if slots else "call_us"
        callback_urgency = "urgent"
    else:
        slots = offered_slots(
            session=session,
            specialty=specialty,
            within_days=SEARCH_DAYS[advice.urgency],
            now=now,
        )
        next_step = "book" if slots else "call_us"
        callback_urgency = "routine"
    saved = False
    if actor.is_patient and actor.user_id is not None:
        record = TriageRecord(
            patient_id=actor.user_id,
            urgency=advice.urgency,
            specialty=specialty.value,
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
    return SelfCheckOutcome(
        advice=advice,
        specialty=specialty,
        next_step=next_step,
        what_to_do=what_to_do if next_step == "emergency" else WHAT_TO_DO[next_step],
        slots=slots,
        callback_urgency=callback_urgency,
        kb_version=kb.version,
        saved_to_record=saved,
    )
