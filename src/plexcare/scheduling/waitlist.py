"""The waitlist: patients waiting for an earlier slot, and the automatic offer of freed slots.

When an appointment is cancelled or moved, its slot is offered at once to the best-ranked
waiting patient it fits (urgency, then waiting time; `waitlist_order`), as a hold that lasts
`HoldPolicy.waitlist_offer`. An offer that lapses goes to the next patient (`expire_offers`,
run by the worker). Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor, system_actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.clinic import repository as clinic_repository
from plexcare.config import get_settings
from plexcare.errors import Conflict, InvalidInput, NotFound
from plexcare.notifications import outbox
from plexcare.scheduling import policy, waitlist_order
from plexcare.scheduling.models import Appointment, SlotHold, WaitlistEntry

WAITING = "waiting"
OFFERED = "offered"


def join(
    *,
    session: Session,
    actor: Actor,
    specialty: str,
    appointment_type_id: int,
    urgency: waitlist_order.Urgency,
    now: datetime,
    clinician_id: int | None = None,
    patient_id: int | None = None,
) -> WaitlistEntry:
    if actor.is_patient:
        assert actor.user_id is not None
        patient_id = actor.user_id
    else:
        actor.require_role(Role.front_desk, Role.admin)
        if patient_id is None:
            raise InvalidInput("name the patient", field="patient_id")
    if clinician_id is not None:
        clinician = clinic_repository.clinician(session=session, clinician_id=clinician_id)
        if clinician is None:
            raise NotFound("no such clinician", field="clinician_id")
        if clinician.specialty != specialty:
            raise InvalidInput("the clinician is not in this specialty", field="clinician_id")
    if (
        clinic_repository.appointment_type(session=session, appointment_type_id=appointment_type_id)
        is None
    ):
        raise NotFound("no such appointment type", field="appointment_type_id")
    entry = WaitlistEntry(
        patient_id=patient_id,
        specialty=specialty,
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
        urgency=urgency.value,
        status=WAITING,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    audit.record_access(
        session=session,
        actor=actor,
        action="create",
        subject_type="waitlist_entry",
        subject_id=entry.id,
        patient_user_id=patient_id,
        now=now,
    )
    return entry


def leave(*, session: Session, actor: Actor, entry_id: int, now: datetime) -> WaitlistEntry:
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None:
        raise NotFound("no such waitlist entry")
    actor.ensure_may_see_patient(entry.patient_id)
    if entry.status not in (WAITING, OFFERED):
        raise Conflict(f"the entry is already {entry.status}")
    entry.status = "withdrawn"
    for hold in session.scalars(select(SlotHold).where(SlotHold.waitlist_entry_id == entry.id)):
        session.delete(hold)
    audit.record_access(
        session=session,
        actor=actor,
        action="update",
        subject_type="waitlist_entry",
        subject_id=entry.id,
        patient_user_id=entry.patient_id,
        now=now,
    )
    session.flush()
    return entry


def entries(
    *, session: Session, patient_id: int | None, limit: int, offset: int
) -> Sequence[WaitlistEntry]:
    query = select(WaitlistEntry).order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    if patient_id is not None:
        query = query.where(WaitlistEntry.patient_id == patient_id)
    return session.scalars(query.limit(limit).offset(offset)).all()


def _domain_entry(entry: WaitlistEntry, type_code: str) -> waitlist_order.WaitlistEntry:
    return waitlist_order.WaitlistEntry(
        entry_id=f"{entry.id:012d}",
        patient_id=str(entry.patient_id),
        specialty=entry.specialty,
        urgency=waitlist_order.Urgency(entry.urgency),
        joined_at=entry.created_at,
        clinician_id=str(entry.clinician_id) if entry.clinician_id is not None else None,
        appointment_type=type_code,
    )


def offer_freed_slot(*, session: Session, freed: Appointment, now: datetime) -> SlotHold | None:
    """Offer the slot a cancelled or moved appointment has just freed."""
    return offer_slot(
        session=session,
        clinician_id=freed.clinician_id,
        appointment_type_id=freed.appointment_type_id,
        starts_at=freed.starts_at,
        blocked_until=freed.blocked_until,
        previous_patient_id=freed.patient_id,
        now=now,
    )


def offer_slot(
    *,
    session: Session,
    clinician_id: int,
    appointment_type_id: int,
    starts_at: datetime,
    blocked_until: datetime,
    previous_patient_id: int | None,
    now: datetime,
    skip_entry_ids: frozenset[int] = frozenset(),
) -> SlotHold | None:
    """Hold the slot for the first waiting patient it fits, and tell them."""
    clinician = clinic_repository.clinician(session=session, clinician_id=clinician_id)
    kind = clinic_repository.appointment_type(
        session=session, appointment_type_id=appointment_type_id
    )
    if clinician is None or kind is None or starts_at <= now:
        return None
    query = select(WaitlistEntry).where(
        WaitlistEntry.status == WAITING,
        WaitlistEntry.specialty == clinician.specialty,
        WaitlistEntry.appointment_type_id == kind.id,
    )
    if previous_patient_id is not None:
        query = query.where(WaitlistEntry.patient_id != previous_patient_id)
    waiting = session.scalars(query).all()
    by_key = {f"{entry.id:012d}": entry for entry in waiting if entry.id not in skip_entry_ids}
    ranked = waitlist_order.rank_waitlist(
        entries=[_domain_entry(entry, kind.code) for entry in by_key.values()],
        slot=waitlist_order.FreedSlot(
            clinician_id=str(clinician.id),
            specialty=clinician.specialty,
            appointment_type=kind.code,
            start=starts_at,
            time_zone=get_settings().clinic_timezone,
        ),
    )
    for candidate in ranked:
        entry = by_key[candidate.entry_id]
        hold = SlotHold(
            patient_id=entry.patient_id,
            clinician_id=clinician.id,
            appointment_type_id=kind.id,
            starts_at=starts_at,
            blocked_until=blocked_until,
            expires_at=policy.hold_expires_at(
                placed_at=now,
                policy=policy.HoldPolicy(),
                purpose=policy.HoldPurpose.WAITLIST_OFFER,
                slot_start=starts_at,
            ),
            waitlist_entry_id=entry.id,
        )
        nested = session.begin_nested()
        session.add(hold)
        try:
            session.flush()
        except IntegrityError:
            nested.rollback()
            return None
        nested.commit()
        entry.status = OFFERED
        outbox.enqueue(
            session=session,
            kind="waitlist_offer",
            recipient_user_id=entry.patient_id,
            appointment_id=None,
            now=now,
        )
        audit.record_access(
            session=session,
            actor=system_actor(),
            action="update",
            subject_type="waitlist_entry",
            subject_id=entry.id,
            patient_user_id=entry.patient_id,
            now=now,
        )
        return hold
    return None


def expire_offers(*, session: Session, now: datetime) -> int:
    """Lapsed waitlist offers: the patient goes back to waiting, the slot to the next one."""
    lapsed = session.scalars(
        select(SlotHold).where(SlotHold.waitlist_entry_id.is_not(None), SlotHold.expires_at <= now)
    ).all()
    for hold in lapsed:
        entry_id = hold.waitlist_entry_id
        entry = session.get(WaitlistEntry, entry_id) if entry_id is not None else None
        if entry is not None and entry.status == OFFERED:
            entry.status = WAITING
        slot = (hold.clinician_id, hold.appointment_type_id, hold.starts_at, hold.blocked_until)
        session.delete(hold)
        session.flush()
        offer_slot(
            session=session,
            clinician_id=slot[0],
            appointment_type_id=slot[1],
            starts_at=slot[2],
            blocked_until=slot[3],
            previous_patient_id=None,
            now=now,
            skip_entry_ids=frozenset({entry_id}) if entry_id is not None else frozenset(),
        )
    return len(lapsed)
