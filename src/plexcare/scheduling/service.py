"""Booking use-cases: hold and book. Never commits.

Every write runs in the caller's transaction. The overlap check here (free slot per the
clinician's busy time, inside a `BEGIN IMMEDIATE` transaction on SQLite) gives a precise
answer; the database decides when two requests race past it (`reservations`: one no-overlap
rule for holds and appointments, the patient's own time and open-appointment limit).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.config import get_settings
from plexcare.errors import Forbidden, InvalidInput, NotFound
from plexcare.notifications import outbox
from plexcare.scheduling import openings, policy, reservations, waitlist
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.models import Appointment, AppointmentResource, SlotHold

NOTICE_POLICY = policy.NoticePolicy()
HOLD_POLICY = policy.HoldPolicy()
NO_SHOW_POLICY = policy.NoShowPolicy()


def _resolve_patient(*, actor: Actor, patient_id: int | None) -> int:
    """Patients act for themselves; the front desk and admins name the patient."""
    if actor.is_patient:
        assert actor.user_id is not None
        if patient_id is not None and patient_id != actor.user_id:
            raise Forbidden("patients book only for themselves", field="patient_id")
        return actor.user_id
    actor.require_role(Role.front_desk, Role.admin)
    if patient_id is None:
        raise InvalidInput("name the patient to book for", field="patient_id")
    return patient_id


def _ensure_patient(*, session: Session, actor: Actor, patient_id: int) -> None:
    """The front desk may name anyone, so their choice is checked; a patient acting for
    themselves was resolved from a live token of an active patient account a moment ago."""
    if actor.is_patient and actor.user_id == patient_id:
        return
    user = accounts_repository.user_by_id(session=session, user_id=patient_id)
    if user is None or user.role != Role.patient:
        raise NotFound("no such patient", field="patient_id")


@contextmanager
def _claiming() -> Iterator[None]:
    """Writes that claim time: losing a race for it is a 409 naming what was taken."""
    try:
        yield
    except DBAPIError as error:
        if not reservations.lost_race(error):
            raise
        raise reservations.conflict_for(error) from error


def place_hold(
    *,
    session: Session,
    actor: Actor,
    clinician_id: int,
    appointment_type_id: int,
    starts_at: datetime,
    now: datetime,
    patient_id: int | None = None,
    purpose: policy.HoldPurpose = policy.HoldPurpose.CHECKOUT,
    waitlist_entry_id: int | None = None,
) -> SlotHold:
    """Keep a slot for one patient for a few minutes; it lapses on its own.

    The hold reserves the clinician's time in the table appointments reserve it in, so a
    booking of the same time by anyone else fails, however close together they arrive.
    """
    patient = _resolve_patient(actor=actor, patient_id=patient_id)
    _ensure_patient(session=session, actor=actor, patient_id=patient)
    target = openings.load_target(
        session=session, clinician_id=clinician_id, appointment_type_id=appointment_type_id
    )
    # The patient's holds replace each other: two placed at once must not both survive.
    reservations.lock_patient(session=session, patient_id=patient)
    scheduling_repository.delete_replaced_holds(
        session=session, clinician_id=target.clinician.id, patient_id=patient, now=now
    )
    # Every hold left counts as busy, the patient's own waitlist offers included: a slot is
    # held once.
    opening = openings.find_opening(
        session=session, target=target, starts_at=starts_at, now=now, patient_id=None
    )
    slot = opening.slot
    _clear_lapsed_holds(session=session, opening=opening, now=now)
    with _claiming():
        reservation_id = reservations.reserve(
            session=session,
            clinician_id=target.clinician.id,
            starts_at=slot.start,
            blocked_until=slot.occupied_until,
        )
        hold = SlotHold(
            reservation_id=reservation_id,
            patient_id=patient,
            clinician_id=target.clinician.id,
            appointment_type_id=target.appointment_type.id,
            starts_at=slot.start,
            blocked_until=slot.occupied_until,
            expires_at=policy.hold_expires_at(
                placed_at=now, policy=HOLD_POLICY, purpose=purpose, slot_start=slot.start
            ),
            waitlist_entry_id=waitlist_entry_id,
        )
        session.add(hold)
        session.flush()
    audit.record_access_now(
        session=session,
        actor=actor,
        action="create",
        subject_type="slot_hold",
        subject_id=hold.id,
        patient_user_id=patient,
        now=now,
    )
    return hold


def release_hold(*, session: Session, actor: Actor, hold_id: int, now: datetime) -> None:
    hold = scheduling_repository.hold(session=session, hold_id=hold_id, for_update=True)
    if hold is None:
        raise NotFound("no such hold")
    actor.ensure_may_see_patient(hold.patient_id)
    audit.record_access_now(
        session=session,
        actor=actor,
        action="delete",
        subject_type="slot_hold",
        subject_id=hold.id,
        patient_user_id=hold.patient_id,
        now=now,
    )
    reservation_id = hold.reservation_id
    session.delete(hold)
    session.flush()
    reservations.release(session=session, reservation_ids=[reservation_id])


def book(
    *,
    session: Session,
    actor: Actor,
    clinician_id: int,
    appointment_type_id: int,
    starts_at: datetime,
    now: datetime,
    patient_id: int | None = None,
) -> Appointment:
    """Book the slot; a hold the patient has on it is turned into the appointment.

    The patient's bookings queue behind each other from here to the commit, so the pause
    after missed appointments and the limit on open appointments see every booking before
    this one.
    """
    patient = _resolve_patient(actor=actor, patient_id=patient_id)
    _ensure_patient(session=session, actor=actor, patient_id=patient)
    strikes = scheduling_repository.lock_patient_reading_strikes(
        session=session, patient_id=patient
    )
    if actor.is_patient and policy.is_booking_restricted(
        strikes=strikes, now=now, policy=NO_SHOW_POLICY
    ):
        raise Forbidden(
            "online booking is paused after several missed appointments; please call the front desk"
        )
    target = openings.load_target(
        session=session, clinician_id=clinician_id, appointment_type_id=appointment_type_id
    )
    appointment = _create_appointment(
        session=session,
        actor=actor,
        target=target,
        patient_id=patient,
        starts_at=starts_at,
        now=now,
        uid=uuid.uuid4().hex,
        sequence=0,
    )
    outbox.enqueue_with_reminder(
        session=session,
        kind="confirmation",
        recipient_user_id=patient,
        appointment_id=appointment.id,
        starts_at=appointment.starts_at,
        now=now,
    )
    return appointment


def open_limit_for(actor: Actor) -> int | None:
    """Patients booking for themselves are limited (`PLEXCARE_MAX_OPEN_APPOINTMENTS`, checked by
    `BookingLimits`); the front desk is not."""
    if not actor.is_patient:
        return None
    return policy.BookingLimits(get_settings().max_open_appointments).open_appointments


def _clear_lapsed_holds(*, session: Session, opening: openings.Opening, now: datetime) -> None:
    """Lapsed holds are free time to the slot search but still reserve it until cleared."""
    entries = reservations.clear_lapsed_holds(
        session=session, hold_ids=[lapsed.hold_id for lapsed in opening.lapsed_holds], now=now
    )
    waitlist.return_to_waiting(session=session, entry_ids=entries)


def _create_appointment(
    *,
    session: Session,
    actor: Actor,
    target: openings.BookingTarget,
    patient_id: int,
    starts_at: datetime,
    now: datetime,
    uid: str,
    sequence: int,
) -> Appointment:
    """Claim the slot and write the appointment: the caller has locked the patient.

    Order matters under concurrency: the clinician's time is claimed before the appointment
    row is written (a loser stops there, having written nothing anyone else waits on), and
    the patient's own hold on the slot hands its reservation over instead of freeing it.
    """
    opening = openings.find_opening(
        session=session, target=target, starts_at=starts_at, now=now, patient_id=patient_id
    )
    slot = opening.slot
    waitlist.settle_offers(
        session=session,
        entry_ids=[own.waitlist_entry_id for own in opening.own_holds if own.waitlist_entry_id],
    )
    own_holds = reservations.lock_live_holds(
        session=session, hold_ids=[own.hold_id for own in opening.own_holds], now=now
    )
    reservation_id = reservations.take_over_hold(
        session=session,
        holds=own_holds,
        starts_at=slot.start,
        blocked_until=slot.occupied_until,
    )
    _clear_lapsed_holds(session=session, opening=opening, now=now)
    limit = open_limit_for(actor)
    with _claiming():
        if reservation_id is None:
            reservation_id = reservations.reserve(
                session=session,
                clinician_id=target.clinician.id,
                starts_at=slot.start,
                blocked_until=slot.occupied_until,
            )
        appointment = reservations.insert_appointment(
            session=session,
            values={
                "uid": uid,
                "patient_id": patient_id,
                "clinician_id": target.clinician.id,
                "appointment_type_id": target.appointment_type.id,
                "starts_at": slot.start,
                "ends_at": slot.end,
                "blocked_until": slot.occupied_until,
                "status": policy.AppointmentStatus.BOOKED.value,
                "sequence": sequence,
                "created_at": now,
                "updated_at": now,
                "booked_by_user_id": actor.user_id,
                "strike": False,
                "reservation_id": reservation_id,
            },
            open_limit=limit,
            now=now,
        )
        if appointment is None:
            raise reservations.refusal(
                session=session,
                patient_id=patient_id,
                starts_at=slot.start,
                ends_at=slot.end,
                open_limit=limit,
            )
        for resource_id in slot.resource_ids:
            session.add(
                AppointmentResource(
                    appointment_id=appointment.id,
                    resource_id=int(resource_id),
                    starts_at=slot.start,
                    blocked_until=slot.occupied_until,
                )
            )
        session.flush()
    audit.record_access_now(
        session=session,
        actor=actor,
        action="create",
        subject_type="appointment",
        subject_id=appointment.id,
        patient_user_id=patient_id,
        now=now,
    )
    return appointment
