"""Claiming time so that concurrent requests cannot both win. Never commits.

Three rules, each decided by the database inside the caller's one transaction:

- **Clinician time.** Appointments and holds both occupy a `ClinicianReservation`, and
  reservations never overlap (an exclusion constraint on PostgreSQL; on SQLite a unique start
  plus the serialized transaction). Of a hold and a booking of one slot sent at the same
  instant, the second insert fails. A reservation passes between owners without being
  rewritten (`take_over_hold`, and the waitlist's offer of a freed slot), so the holder of a
  slot never races anyone for it.
- **One patient, one place at a time.** `insert_appointment` writes the row only if the patient
  has no active appointment overlapping it; on PostgreSQL `ex_appointments_patient_overlap`
  refuses it as well, whatever wrote it.
- **Open appointments.** With a limit, the same statement writes the row only while the patient
  has fewer booked appointments still to come than the limit. A count is only as good as its
  snapshot, so `lock_patient` first queues the patient's bookings behind each other
  (PostgreSQL row lock; SQLite's `BEGIN IMMEDIATE` already serializes every write).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, insert, literal, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from plexcare.accounts.models import User
from plexcare.errors import Conflict
from plexcare.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    ClinicianReservation,
    SlotHold,
)
from plexcare.scheduling.policy import AppointmentStatus

SLOT_TAKEN = "this slot has just been taken; please choose another"
PATIENT_BUSY = "you already have an appointment at this time"
LOST_RACE_SQLSTATES = frozenset({"40P01", "40001"})
"""Deadlock and serialization failure: PostgreSQL broke a tie between two requests that each
waited for the other (two inserts of overlapping time can do that); the one it stopped lost."""


def lost_race(error: DBAPIError) -> bool:
    """Whether a failed write means another request got there first (answered with 409)."""
    if isinstance(error, IntegrityError):
        return True
    return getattr(error.orig, "sqlstate", None) in LOST_RACE_SQLSTATES


def conflict_for(error: DBAPIError) -> Conflict:
    """The 409 naming what was lost: the patient's own time or the clinician's slot."""
    if "ex_appointments_patient_overlap" in str(error.orig):
        return Conflict(PATIENT_BUSY, field="starts_at")
    return Conflict(SLOT_TAKEN, field="starts_at")


def lock_patient(*, session: Session, patient_id: int) -> None:
    """Queue this patient's bookings behind each other until the transaction ends.

    `FOR NO KEY UPDATE` on the account row: new rows may still reference the account (their
    foreign-key check takes only a key-share lock), and nothing reads the row; it is the
    patient's turnstile. Not rendered on SQLite, whose write transactions are serialized.
    """
    session.execute(select(User.id).where(User.id == patient_id).with_for_update(key_share=True))


def reserve(
    *, session: Session, clinician_id: int, starts_at: datetime, blocked_until: datetime
) -> int:
    """A new reservation of the clinician's time; raises `IntegrityError` (or a lost race on
    PostgreSQL) when any other reservation overlaps it."""
    return int(
        session.execute(
            insert(ClinicianReservation)
            .values(clinician_id=clinician_id, starts_at=starts_at, blocked_until=blocked_until)
            .returning(ClinicianReservation.id)
        ).scalar_one()
    )


def release(*, session: Session, reservation_ids: Iterable[int]) -> None:
    """Free the time; a hold owning one of these reservations is deleted with it."""
    ids = list(reservation_ids)
    if ids:
        session.execute(
            delete(ClinicianReservation)
            .where(ClinicianReservation.id.in_(ids))
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class LockedHold:
    hold_id: int
    reservation_id: int
    starts_at: datetime
    blocked_until: datetime
    waitlist_entry_id: int | None


def lock_live_holds(
    *, session: Session, hold_ids: Sequence[int], now: datetime
) -> list[LockedHold]:
    """These holds, if still live, locked until the transaction ends (a release of the same
    hold in another request waits, then finds it gone)."""
    if not hold_ids:
        return []
    rows = session.execute(
        select(
            SlotHold.id,
            SlotHold.reservation_id,
            SlotHold.starts_at,
            SlotHold.blocked_until,
            SlotHold.waitlist_entry_id,
        )
        .where(SlotHold.id.in_(list(hold_ids)), SlotHold.expires_at > now)
        .order_by(SlotHold.id)
        .with_for_update()
    ).all()
    return [LockedHold(*row) for row in rows]


def take_over_hold(
    *, session: Session, holds: Sequence[LockedHold], starts_at: datetime, blocked_until: datetime
) -> int | None:
    """The patient's own holds overlapping the slot they book make way for the appointment.

    A hold of exactly that time hands its reservation over (returned, for the appointment to
    point at): the time is never free in between. Any other overlapping hold is released.
    """
    kept = next(
        (
            hold
            for hold in holds
            if hold.starts_at == starts_at and hold.blocked_until == blocked_until
        ),
        None,
    )
    if kept is not None:
        session.execute(delete(SlotHold).where(SlotHold.id == kept.hold_id))
    release(
        session=session,
        reservation_ids=[hold.reservation_id for hold in holds if hold is not kept],
    )
    return kept.reservation_id if kept is not None else None


def clear_lapsed_holds(*, session: Session, hold_ids: Sequence[int], now: datetime) -> list[int]:
    """Release these lapsed holds (they still reserve their time) and return their waitlist
    entries' ids, for the caller to put those patients back to waiting.

    Holds another transaction has locked (the worker passing a lapsed offer on) are skipped:
    their time is that transaction's to decide.
    """
    if not hold_ids:
        return []
    rows = session.execute(
        select(SlotHold.reservation_id, SlotHold.waitlist_entry_id)
        .where(SlotHold.id.in_(list(hold_ids)), SlotHold.expires_at <= now)
        .with_for_update(skip_locked=True)
    ).all()
    release(session=session, reservation_ids=[row[0] for row in rows])
    return [row[1] for row in rows if row[1] is not None]


def _overlapping_appointment(patient_id: int, starts_at: datetime, ends_at: datetime) -> Any:
    return exists().where(
        Appointment.patient_id == patient_id,
        Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.starts_at < ends_at,
        Appointment.ends_at > starts_at,
    )


def _open_appointments(patient_id: int, now: datetime) -> Any:
    return (
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.status == AppointmentStatus.BOOKED.value,
            Appointment.starts_at > now,
        )
        .scalar_subquery()
    )


def insert_appointment(
    *, session: Session, values: Mapping[str, Any], open_limit: int | None, now: datetime
) -> Appointment | None:
    """`INSERT INTO appointments … SELECT … WHERE <the patient's rules hold> RETURNING *`.

    None when a rule refused it (`refusal` says which). The patient must be locked first
    (`lock_patient`) for the count to be exact on PostgreSQL.
    """
    patient_id = int(values["patient_id"])
    columns = Appointment.__table__.c
    rules = [~_overlapping_appointment(patient_id, values["starts_at"], values["ends_at"])]
    if open_limit is not None:
        rules.append(_open_appointments(patient_id, now) < open_limit)
    source = select(*(literal(value, columns[name].type) for name, value in values.items()))
    statement = (
        insert(Appointment).from_select(list(values), source.where(*rules)).returning(Appointment)
    )
    return session.scalars(statement).one_or_none()


def refusal(
    *,
    session: Session,
    patient_id: int,
    starts_at: datetime,
    ends_at: datetime,
    open_limit: int | None,
) -> Conflict:
    """Why `insert_appointment` wrote nothing, as the 409 to answer."""
    if session.scalar(select(_overlapping_appointment(patient_id, starts_at, ends_at))):
        return Conflict(PATIENT_BUSY, field="starts_at")
    return Conflict(
        f"you already have {open_limit} upcoming appointments, the most that can be booked "
        "online; please cancel one or call the front desk"
    )
