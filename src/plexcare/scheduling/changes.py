"""Changing a booked appointment: cancel, reschedule (one step), arrived, completed, no-show.
Never commits.

Every change first locks the appointment (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's
`BEGIN IMMEDIATE` serializes the whole transaction) and reads it afresh, so of several changes
sent at once the first wins and the others find it no longer booked: 409, nothing written, no
message queued.

A reschedule frees the old slot and takes the new one in the same transaction: if the new slot
is taken, the whole change rolls back and the patient keeps the old appointment.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.errors import Conflict, NotFound
from plexcare.notifications import outbox
from plexcare.scheduling import policy, reservations, waitlist
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.models import Appointment, AppointmentResource
from plexcare.scheduling.openings import load_target
from plexcare.scheduling.service import NOTICE_POLICY, _create_appointment


def appointment_for(
    *, session: Session, actor: Actor, appointment_id: int, now: datetime, action: str = "read"
) -> Appointment:
    """The appointment if the actor may see it (else 404), with the access audited; locked
    for the rest of the transaction unless the access is a read."""
    appointment = scheduling_repository.appointment(
        session=session, appointment_id=appointment_id, for_update=action != "read"
    )
    if appointment is None:
        raise NotFound("no such appointment")
    actor.ensure_may_see_patient(appointment.patient_id)
    audit_read(session=session, actor=actor, appointment=appointment, now=now, action=action)
    return appointment


def audit_read(
    *,
    session: Session,
    actor: Actor,
    appointment: Appointment,
    now: datetime,
    action: str = "read",
) -> None:
    """Record that `actor` saw (or, with `action`, changed) an appointment they may see."""
    audit.record_access(
        session=session,
        actor=actor,
        action=action,
        subject_type="appointment",
        subject_id=appointment.id,
        patient_user_id=appointment.patient_id,
        now=now,
    )


def _free(
    session: Session, appointment: Appointment, status: policy.AppointmentStatus
) -> int | None:
    """The appointment lets go of its time; the reservation it held is returned for the caller
    to hand on (`waitlist.offer_freed_slot`) or release."""
    reservation_id = appointment.reservation_id
    appointment.status = status.value
    appointment.reservation_id = None
    session.execute(
        delete(AppointmentResource)
        .where(AppointmentResource.appointment_id == appointment.id)
        .execution_options(synchronize_session=False)
    )
    outbox.withdraw_pending(session=session, appointment_id=appointment.id, kinds=("reminder",))
    session.flush()
    return reservation_id


def _check(appointment: Appointment, target: policy.AppointmentStatus, now: datetime) -> None:
    check = policy.check_transition(
        current=policy.AppointmentStatus(appointment.status),
        target=target,
        appointment_start=appointment.starts_at,
        now=now,
    )
    if not check.allowed:
        raise Conflict(check.reason)


def cancel(
    *, session: Session, actor: Actor, appointment_id: int, now: datetime, reason: str | None
) -> Appointment:
    """Cancel and free the slot; a late cancellation by the patient counts as a strike.
    The freed slot is offered to the waitlist at once."""
    appointment = appointment_for(
        session=session, actor=actor, appointment_id=appointment_id, now=now, action="update"
    )
    _check(appointment, policy.AppointmentStatus.CANCELLED, now)
    decision = policy.decide_cancellation(
        policy=NOTICE_POLICY,
        appointment_start=appointment.starts_at,
        now=now,
        by_clinic=actor.is_staff,
    )
    if not decision.allowed:
        raise Conflict(decision.reason)
    freed = _free(session, appointment, policy.AppointmentStatus.CANCELLED)
    appointment.cancel_reason = reason
    appointment.strike = decision.counts_toward_no_show
    appointment.sequence += 1
    appointment.updated_at = now
    outbox.enqueue(
        session=session,
        kind="cancellation",
        recipient_user_id=appointment.patient_id,
        appointment_id=appointment.id,
        now=now,
    )
    waitlist.offer_freed_slot(session=session, freed=appointment, reservation_id=freed, now=now)
    return appointment


def reschedule(
    *,
    session: Session,
    actor: Actor,
    appointment_id: int,
    starts_at: datetime,
    now: datetime,
    clinician_id: int | None = None,
    reason: str | None = None,
) -> Appointment:
    """Move the appointment: the old slot is freed and the new one booked, atomically; the
    reason, when given, stays with the old appointment as a cancellation's does.

    The new appointment keeps the calendar UID with a higher SEQUENCE, so the patient's
    calendar moves the event instead of showing two.
    """
    old = appointment_for(
        session=session, actor=actor, appointment_id=appointment_id, now=now, action="update"
    )
    _check(old, policy.AppointmentStatus.RESCHEDULED, now)
    decision = policy.decide_reschedule(
        policy=NOTICE_POLICY, appointment_start=old.starts_at, now=now, by_clinic=actor.is_staff
    )
    if not decision.allowed:
        raise Conflict(decision.reason)
    target = load_target(
        session=session,
        clinician_id=clinician_id or old.clinician_id,
        appointment_type_id=old.appointment_type_id,
    )
    reservations.lock_patient(session=session, patient_id=old.patient_id)
    # The old time is released before the new one is claimed: the two may overlap.
    freed = _free(session, old, policy.AppointmentStatus.RESCHEDULED)
    reservations.release(session=session, reservation_ids=[freed] if freed is not None else [])
    old.strike = decision.counts_toward_no_show
    old.updated_at = now
    if reason:
        old.cancel_reason = reason
    new = _create_appointment(
        session=session,
        actor=actor,
        target=target,
        patient_id=old.patient_id,
        starts_at=starts_at,
        now=now,
        uid=old.uid,
        sequence=old.sequence + 1,
    )
    old.rescheduled_to_id = new.id
    outbox.enqueue_with_reminder(
        session=session,
        kind="change",
        recipient_user_id=new.patient_id,
        appointment_id=new.id,
        starts_at=new.starts_at,
        now=now,
    )
    session.flush()
    waitlist.offer_freed_slot(session=session, freed=old, reservation_id=None, now=now)
    return new


def mark_attendance(
    *,
    session: Session,
    actor: Actor,
    appointment_id: int,
    outcome: policy.AppointmentStatus,
    now: datetime,
) -> Appointment:
    """Staff record that the patient came (completed) or did not (no-show, a strike)."""
    actor.require_role(Role.clinician, Role.front_desk, Role.admin)
    if outcome not in (policy.AppointmentStatus.COMPLETED, policy.AppointmentStatus.NO_SHOW):
        raise ValueError(f"not an attendance outcome: {outcome}")
    appointment = appointment_for(
        session=session, actor=actor, appointment_id=appointment_id, now=now, action="update"
    )
    _check(appointment, outcome, now)
    if outcome is policy.AppointmentStatus.NO_SHOW and appointment.arrived_at is not None:
        raise Conflict("the patient has arrived; mark the visit attended instead")
    appointment.status = outcome.value
    appointment.strike = outcome is policy.AppointmentStatus.NO_SHOW
    appointment.updated_at = now
    session.flush()
    return appointment


def mark_arrived(
    *, session: Session, actor: Actor, appointment_id: int, now: datetime, zone: ZoneInfo
) -> Appointment:
    """The front desk saw the patient arrive: on the appointment's own day, while it is booked.

    Arrival changes no time and no status (the visit is still to be marked attended), so it
    frees and takes nothing; it only tells the clinician the patient is in the waiting room,
    and a patient who arrived cannot then be marked missed.
    """
    actor.require_role(Role.clinician, Role.front_desk, Role.admin)
    appointment = appointment_for(
        session=session, actor=actor, appointment_id=appointment_id, now=now, action="update"
    )
    if appointment.status != policy.AppointmentStatus.BOOKED.value:
        raise Conflict(f"a {appointment.status} appointment can no longer change")
    if appointment.starts_at.astimezone(zone).date() != now.astimezone(zone).date():
        raise Conflict("arrivals are marked on the day of the appointment")
    if appointment.arrived_at is None:
        appointment.arrived_at = now
        appointment.updated_at = now
    session.flush()
    return appointment
