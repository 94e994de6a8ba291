"""The waitlist: patients waiting for an earlier slot, and the automatic offer of freed slots.

When an appointment is cancelled or moved, its slot is offered at once to the best-ranked
waiting patient it fits (urgency, then waiting time; `waitlist_order`), as a hold that lasts
`HoldPolicy.waitlist_offer`. An offer that lapses goes to the next patient (`expire_offers`,
run by the worker). Every change of an entry is a locked read or one conditional UPDATE, so
two requests never both act on one entry. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor, system_actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.clinic import repository as clinic_repository
from plexcare.config import get_settings
from plexcare.errors import Conflict, InvalidInput, NotFound
from plexcare.notifications import outbox
from plexcare.scheduling import policy, reservations, waitlist_order
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
    entry = session.get(WaitlistEntry, entry_id, with_for_update=True, populate_existing=True)
    if entry is None:
        raise NotFound("no such waitlist entry")
    actor.ensure_may_see_patient(entry.patient_id)
    if entry.status not in (WAITING, OFFERED):
        raise Conflict(f"the entry is already {entry.status}")
    entry.status = "withdrawn"
    offered = session.scalars(
        select(SlotHold.reservation_id)
        .where(SlotHold.waitlist_entry_id == entry.id)
        .with_for_update()
    ).all()
    reservations.release(session=session, reservation_ids=offered)
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


def _end_offers(*, session: Session, entry_ids: Sequence[int], status: str) -> None:
    """Entries still holding an offer move on to `status`, in one conditional UPDATE."""
    if entry_ids:
        session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id.in_(list(entry_ids)), WaitlistEntry.status == OFFERED)
            .values(status=status)
        )


def return_to_waiting(*, session: Session, entry_ids: Sequence[int]) -> None:
    """Offers that lapsed without being taken: those patients wait again."""
    _end_offers(session=session, entry_ids=entry_ids, status=WAITING)


def settle_offers(*, session: Session, entry_ids: Sequence[int]) -> None:
    """A slot offered from the waitlist has been booked by its patient: the entry is done
    (unless the patient left the waitlist a moment before)."""
    _end_offers(session=session, entry_ids=entry_ids, status="booked")


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


def offer_freed_slot(
    *, session: Session, freed: Appointment, reservation_id: int | None, now: datetime
) -> SlotHold | None:
    """Offer the slot a cancelled or moved appointment has just freed.

    `reservation_id` is the clinician time the appointment has let go of: the offer takes it
    over as it is, so nobody can book the slot in between; with no taker it is released.
    """
    hold = offer_slot(
        session=session,
        clinician_id=freed.clinician_id,
        appointment_type_id=freed.appointment_type_id,
        starts_at=freed.starts_at,
        blocked_until=freed.blocked_until,
        previous_patient_id=freed.patient_id,
        now=now,
        reservation_id=reservation_id,
    )
    if hold is None and reservation_id is not None:
        reservations.release(session=session, reservation_ids=[reservation_id])
    return hold


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
    reservation_id: int | None = None,
) -> SlotHold | None:
    """Hold the slot for the first waiting patient it fits, and tell them.

    Each candidate is claimed with one conditional UPDATE (still waiting → offered), so an
    entry withdrawn or offered another slot a moment ago is passed over. The hold takes over
    `reservation_id` when given, else reserves the time anew; if that time has been taken,
    nobody is offered it.
    """
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
        nested = session.begin_nested()
        try:
            claimed = session.execute(
                update(WaitlistEntry)
                .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == WAITING)
                .values(status=OFFERED)
                .returning(WaitlistEntry.id)
            ).first()
            if claimed is None:
                nested.rollback()
                continue
            hold = SlotHold(
                reservation_id=reservation_id
                if reservation_id is not None
                else reservations.reserve(
                    session=session,
                    clinician_id=clinician.id,
                    starts_at=starts_at,
                    blocked_until=blocked_until,
                ),
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
            session.add(hold)
            session.flush()
        except DBAPIError as error:
            nested.rollback()
            if not reservations.lost_race(error):
                raise
            return None
        nested.commit()
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
    """Lapsed waitlist offers: the patient goes back to waiting, the slot to the next one.

    Each lapsed hold is locked together with its entry, skipping any another transaction
    holds (a booking clearing it, or the patient leaving): that one decides. The reservation
    passes to the next patient's offer untouched, or is released when nobody fits.
    """
    lapsed = session.scalars(
        select(SlotHold)
        .join(WaitlistEntry, WaitlistEntry.id == SlotHold.waitlist_entry_id)
        .where(SlotHold.expires_at <= now)
        .with_for_update(skip_locked=True)
    ).all()
    for hold in lapsed:
        entry_id = hold.waitlist_entry_id
        assert entry_id is not None
        return_to_waiting(session=session, entry_ids=[entry_id])
        slot = (hold.clinician_id, hold.appointment_type_id, hold.starts_at, hold.blocked_until)
        reservation_id = hold.reservation_id
        session.delete(hold)
        session.flush()
        offered = offer_slot(
            session=session,
            clinician_id=slot[0],
            appointment_type_id=slot[1],
            starts_at=slot[2],
            blocked_until=slot[3],
            previous_patient_id=None,
            now=now,
            skip_entry_ids=frozenset({entry_id}),
            reservation_id=reservation_id,
        )
        if offered is None:
            reservations.release(session=session, reservation_ids=[reservation_id])
    return len(lapsed)
