"""Booking use-cases: hold, book, cancel, reschedule, mark completed or no-show. Never commits.

Every write runs in the caller's transaction. The overlap check here (free slot per the
clinician's busy time, inside a `BEGIN IMMEDIATE` transaction on SQLite) gives a precise
answer; the database constraints (exclusion on PostgreSQL, unique start on SQLite) are the
guarantee when two requests race past the check.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic import service as clinic
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.errors import Conflict, Forbidden, InvalidInput, NotFound
from plexcare.notifications import outbox
from plexcare.scheduling import availability, policy
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.models import (
    Appointment,
    AppointmentResource,
    SlotHold,
    WaitlistEntry,
)

NOTICE_POLICY = policy.NoticePolicy()
HOLD_POLICY = policy.HoldPolicy()
NO_SHOW_POLICY = policy.NoShowPolicy()
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class BookingTarget:
    clinician: Clinician
    appointment_type: AppointmentType
    kind: availability.AppointmentType
    """The type as availability sees it, with its resource needs."""


def _clinic_zone() -> str:
    return get_settings().clinic_timezone


def load_target(*, session: Session, clinician_id: int, appointment_type_id: int) -> BookingTarget:
    """The clinician and appointment type to book, checked, with the type's resource needs:
    one query (`scheduling_repository.booking_target`); the failure paths ask again to name
    what is missing."""
    rows = scheduling_repository.booking_target(
        session=session, clinician_id=clinician_id, appointment_type_id=appointment_type_id
    )
    if not rows:
        if clinic_repository.clinician(session=session, clinician_id=clinician_id) is None:
            raise NotFound("no such clinician", field="clinician_id")
        raise NotFound("no such appointment type", field="appointment_type_id")
    clinician_row, kind, offered = rows[0][0], rows[0][1], rows[0][2]
    if not offered:
        raise InvalidInput(
            "this clinician does not offer this appointment type", field="appointment_type_id"
        )
    needs = [(resource_kind, rid) for *_, resource_kind, rid in rows if resource_kind is not None]
    return BookingTarget(
        clinician=clinician_row,
        appointment_type=kind,
        kind=clinic.appointment_type_needing(kind, needs),
    )


@dataclass(frozen=True)
class _Opening:
    """A free slot, and the booking patient's own holds that overlap it."""

    slot: availability.Slot
    own_holds: list[scheduling_repository.OwnHold]


def _opening(
    *,
    session: Session,
    target: BookingTarget,
    starts_at: datetime,
    now: datetime,
    patient_id: int | None,
) -> _Opening:
    """The slot starting at `starts_at` if the rules offer it and it is free; else 422 or 409.

    Only what decides that one slot is read: the schedule of its local day, and busy time a
    day either side of it.
    """
    zone = _clinic_zone()
    schedule = clinic.schedule_for_day(
        session=session,
        clinician_id=target.clinician.id,
        time_zone=zone,
        day=starts_at.astimezone(ZoneInfo(zone)).date(),
    )
    window = clinic.booking_window(target.appointment_type)
    around = (starts_at - _DAY, starts_at + _DAY)
    calendar = scheduling_repository.clinician_calendar(
        session=session,
        clinician_id=target.clinician.id,
        start=around[0],
        end=around[1],
        now=now,
        patient_id=patient_id,
    )
    resource_ids = [int(rid) for need in target.kind.resource_needs for rid in need.candidates]
    slot = availability.slot_starting_at(
        schedule=schedule,
        appointment_type=target.kind,
        start=starts_at,
        now=now,
        window=window,
        clinician_busy=calendar.busy,
        resource_busy=scheduling_repository.resource_busy(
            session=session, resource_ids=resource_ids, start=around[0], end=around[1]
        ),
    )
    if slot is not None:
        return _Opening(
            slot=slot,
            own_holds=[
                own
                for own in calendar.own_holds
                if own.starts_at < slot.occupied_until and own.blocked_until > slot.start
            ],
        )
    offered = availability.slot_starting_at(
        schedule=schedule, appointment_type=target.kind, start=starts_at, now=now, window=window
    )
    if offered is None:
        raise InvalidInput(
            "no slot of this type starts at this time (outside the clinician's hours, "
            "the booking window, or not on the slot grid)",
            field="starts_at",
        )
    raise Conflict("this slot has just been taken; please choose another", field="starts_at")


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


def _flush_or_conflict(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as error:
        raise Conflict("this slot has just been taken; please choose another") from error


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
    """Keep a slot for one patient for a few minutes; it lapses on its own."""
    patient = _resolve_patient(actor=actor, patient_id=patient_id)
    _ensure_patient(session=session, actor=actor, patient_id=patient)
    target = load_target(
        session=session, clinician_id=clinician_id, appointment_type_id=appointment_type_id
    )
    scheduling_repository.delete_replaced_holds(
        session=session, clinician_id=target.clinician.id, patient_id=patient, now=now
    )
    # Every hold left counts as busy, the patient's own waitlist offers included: a slot is
    # held once.
    slot = _opening(
        session=session, target=target, starts_at=starts_at, now=now, patient_id=None
    ).slot
    hold = SlotHold(
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
    _flush_or_conflict(session)
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
    hold = scheduling_repository.hold(session=session, hold_id=hold_id)
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
    session.delete(hold)
    session.flush()


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
    """Book the slot; a hold the patient has on it is turned into the appointment."""
    patient = _resolve_patient(actor=actor, patient_id=patient_id)
    _ensure_patient(session=session, actor=actor, patient_id=patient)
    if actor.is_patient and policy.is_booking_restricted(
        strikes=scheduling_repository.strikes_of_patient(session=session, patient_id=patient),
        now=now,
        policy=NO_SHOW_POLICY,
    ):
        raise Forbidden(
            "online booking is paused after several missed appointments; please call the front desk"
        )
    target = load_target(
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


def _create_appointment(
    *,
    session: Session,
    actor: Actor,
    target: BookingTarget,
    patient_id: int,
    starts_at: datetime,
    now: datetime,
    uid: str,
    sequence: int,
) -> Appointment:
    opening = _opening(
        session=session, target=target, starts_at=starts_at, now=now, patient_id=patient_id
    )
    slot = opening.slot
    if opening.own_holds:
        for own in opening.own_holds:
            _settle_waitlist_entry(session=session, waitlist_entry_id=own.waitlist_entry_id)
        scheduling_repository.delete_holds(
            session=session, hold_ids=[own.hold_id for own in opening.own_holds]
        )
    appointment = Appointment(
        uid=uid,
        patient_id=patient_id,
        clinician_id=target.clinician.id,
        appointment_type_id=target.appointment_type.id,
        starts_at=slot.start,
        ends_at=slot.end,
        blocked_until=slot.occupied_until,
        status=policy.AppointmentStatus.BOOKED.value,
        sequence=sequence,
        created_at=now,
        updated_at=now,
        booked_by_user_id=actor.user_id,
        strike=False,
    )
    session.add(appointment)
    _flush_or_conflict(session)
    for resource_id in slot.resource_ids:
        session.add(
            AppointmentResource(
                appointment_id=appointment.id,
                resource_id=int(resource_id),
                starts_at=slot.start,
                blocked_until=slot.occupied_until,
            )
        )
    _flush_or_conflict(session)
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


def _settle_waitlist_entry(*, session: Session, waitlist_entry_id: int | None) -> None:
    """A held slot offered from the waitlist has been booked: the entry is done."""
    if waitlist_entry_id is None:
        return
    entry = session.get(WaitlistEntry, waitlist_entry_id)
    if entry is not None:
        entry.status = "booked"
