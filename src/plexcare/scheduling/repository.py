"""Queries for appointments, holds and busy time."""

from __future__ import annotations

import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from plexcare.accounts.models import User
from plexcare.clinic.models import (
    AppointmentType,
    Clinician,
    Resource,
    appointment_type_resource_kinds,
    clinician_appointment_types,
)
from plexcare.db import UTCDateTime
from plexcare.scheduling.availability import BusyInterval
from plexcare.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentResource,
    ClinicianReservation,
    SlotHold,
)


def appointment(
    *, session: Session, appointment_id: int, for_update: bool = False
) -> Appointment | None:
    """The appointment; with `for_update`, locked until the transaction ends and read afresh
    once the lock is granted, so of two changes sent together the second sees the first."""
    if for_update:
        return session.get(
            Appointment, appointment_id, with_for_update=True, populate_existing=True
        )
    return session.get(Appointment, appointment_id)


def clinician_busy(
    *,
    session: Session,
    clinician_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    ignore_holds_of_patient: int | None = None,
) -> list[BusyInterval]:
    """Active appointments and live holds of the clinician overlapping [start, end)."""
    booked = session.execute(
        select(Appointment.starts_at, Appointment.blocked_until).where(
            Appointment.clinician_id == clinician_id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.starts_at < end,
            Appointment.blocked_until > start,
        )
    ).all()
    hold_query = select(SlotHold.starts_at, SlotHold.blocked_until).where(
        SlotHold.clinician_id == clinician_id,
        SlotHold.expires_at > now,
        SlotHold.starts_at < end,
        SlotHold.blocked_until > start,
    )
    if ignore_holds_of_patient is not None:
        hold_query = hold_query.where(SlotHold.patient_id != ignore_holds_of_patient)
    held = session.execute(hold_query).all()
    return [BusyInterval(start=row[0], end=row[1]) for row in [*booked, *held]]


@dataclass(frozen=True)
class OwnHold:
    """A hold on the clinician as the calendar query found it: one of the booking patient's
    own live holds, or a lapsed hold of anyone's still reserving its time."""

    hold_id: int
    starts_at: datetime
    blocked_until: datetime
    waitlist_entry_id: int | None


@dataclass(frozen=True)
class ClinicianCalendar:
    """What occupies a clinician around a requested slot: `busy` (active appointments and
    other patients' live holds), the booking patient's own live holds, kept apart so the
    patient can book the slot they hold and the hold can be turned into the appointment, and
    lapsed holds, free to the slot search but reserving their time until they are cleared."""

    busy: list[BusyInterval]
    own_holds: list[OwnHold]
    lapsed_holds: list[OwnHold]


def _clinician_calendar_statement() -> CompoundSelect[Any]:
    no_id = cast(null(), Integer)
    no_expiry = type_coerce(null(), UTCDateTime())
    booked = select(
        Appointment.starts_at, Appointment.blocked_until, no_id, no_id, no_id, no_expiry
    ).where(
        Appointment.clinician_id == bindparam("clinician_id"),
        Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.starts_at < bindparam("end"),
        Appointment.blocked_until > bindparam("start"),
    )
    held = select(
        SlotHold.starts_at,
        SlotHold.blocked_until,
        SlotHold.id,
        SlotHold.patient_id,
        SlotHold.waitlist_entry_id,
        SlotHold.expires_at,
    ).where(
        SlotHold.clinician_id == bindparam("clinician_id"),
        SlotHold.starts_at < bindparam("end"),
        SlotHold.blocked_until > bindparam("start"),
    )
    return union_all(booked, held)


_CLINICIAN_CALENDAR = _clinician_calendar_statement()
"""Built once: the booking path runs it on every request, and building a statement (and its
cache key) costs more Python time than PostgreSQL spends answering it."""


def clinician_calendar(
    *,
    session: Session,
    clinician_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    patient_id: int | None,
) -> ClinicianCalendar:
    """Active appointments and holds of the clinician overlapping [start, end), in one query;
    with `patient_id`, that patient's live holds come back as `own_holds`, not as busy."""
    rows = typing.cast(
        Sequence[tuple[datetime, datetime, int | None, int | None, int | None, datetime | None]],
        session.execute(
            _CLINICIAN_CALENDAR, {"clinician_id": clinician_id, "start": start, "end": end}
        ).all(),
    )
    calendar = ClinicianCalendar(busy=[], own_holds=[], lapsed_holds=[])
    for starts_at, blocked_until, hold_id, holder, waitlist_entry_id, expires_at in rows:
        if hold_id is None or expires_at is None:
            calendar.busy.append(BusyInterval(start=starts_at, end=blocked_until))
            continue
        hold = OwnHold(
            hold_id=hold_id,
            starts_at=starts_at,
            blocked_until=blocked_until,
            waitlist_entry_id=waitlist_entry_id,
        )
        if expires_at <= now:
            calendar.lapsed_holds.append(hold)
        elif patient_id is not None and holder == patient_id:
            calendar.own_holds.append(hold)
        else:
            calendar.busy.append(BusyInterval(start=starts_at, end=blocked_until))
    return calendar


def resource_busy(
    *, session: Session, resource_ids: Iterable[int], start: datetime, end: datetime
) -> dict[str, list[BusyInterval]]:
    ids = list(resource_ids)
    busy: dict[str, list[BusyInterval]] = {str(resource_id): [] for resource_id in ids}
    if not ids:
        return busy
    rows = session.execute(
        select(
            AppointmentResource.resource_id,
            AppointmentResource.starts_at,
            AppointmentResource.blocked_until,
        ).where(
            AppointmentResource.resource_id.in_(ids),
            AppointmentResource.starts_at < end,
            AppointmentResource.blocked_until > start,
        )
    ).all()
    for resource_id, starts_at, blocked_until in rows:
        busy[str(resource_id)].append(BusyInterval(start=starts_at, end=blocked_until))
    return busy


def _booking_target_statement() -> Select[Any]:
    offers = clinician_appointment_types
    needs = appointment_type_resource_kinds
    offered = (
        exists()
        .where(
            offers.c.clinician_id == Clinician.id,
            offers.c.appointment_type_id == AppointmentType.id,
        )
        .label("offered")
    )
    return (
        select(Clinician, AppointmentType, offered, needs.c.resource_kind, Resource.id)
        .select_from(Clinician)
        .join(AppointmentType, true())
        .outerjoin(needs, needs.c.appointment_type_id == AppointmentType.id)
        .outerjoin(Resource, Resource.kind == needs.c.resource_kind)
        .where(
            Clinician.id == bindparam("clinician_id"),
            AppointmentType.id == bindparam("appointment_type_id"),
        )
        .order_by(needs.c.resource_kind, Resource.id)
    )


_BOOKING_TARGET = _booking_target_statement()


def booking_target(
    *, session: Session, clinician_id: int, appointment_type_id: int
) -> list[tuple[Clinician, AppointmentType, bool, str | None, int | None]]:
    """The clinician, the appointment type, whether the clinician offers it, and every
    (needed resource kind, resource of that kind) pair: what a booking checks, in one query.

    One row per candidate resource (one row when the type needs none); no row when the
    clinician or the type does not exist.
    """
    rows = session.execute(
        _BOOKING_TARGET,
        {"clinician_id": clinician_id, "appointment_type_id": appointment_type_id},
    ).all()
    return [(row[0], row[1], bool(row[2]), row[3], row[4]) for row in rows]


def delete_replaced_holds(
    *, session: Session, clinician_id: int, patient_id: int, now: datetime
) -> None:
    """Before a new hold: the clinician's lapsed holds, and the patient's own live checkout
    holds (a patient keeps one slot at a time), released with their reservations. Holds that
    carry a waitlist offer are left alone; they lapse on their own schedule.

    The holds are locked before their reservations go: a reservation is only ever released
    by whoever holds its owner, so one another request has just handed on is never freed."""
    replaced = session.scalars(
        select(SlotHold.reservation_id)
        .where(
            SlotHold.waitlist_entry_id.is_(None),
            or_(
                and_(SlotHold.clinician_id == clinician_id, SlotHold.expires_at <= now),
                and_(SlotHold.patient_id == patient_id, SlotHold.expires_at > now),
            ),
        )
        .with_for_update()
    ).all()
    if replaced:
        session.execute(
            delete(ClinicianReservation)
            .where(ClinicianReservation.id.in_(replaced))
            .execution_options(synchronize_session=False)
        )


def hold(*, session: Session, hold_id: int, for_update: bool = False) -> SlotHold | None:
    """The hold; with `for_update`, locked and read afresh (see `appointment`)."""
    if for_update:
        return session.get(SlotHold, hold_id, with_for_update=True, populate_existing=True)
    return session.get(SlotHold, hold_id)


def holds_of_patient(*, session: Session, patient_id: int, now: datetime) -> Sequence[SlotHold]:
    return session.scalars(
        select(SlotHold)
        .where(SlotHold.patient_id == patient_id, SlotHold.expires_at > now)
        .order_by(SlotHold.starts_at)
    ).all()


def appointments_query(
    *,
    patient_id: int | None,
    clinician_id: int | None,
    status: str | None,
    starts_from: datetime | None,
    starts_before: datetime | None,
) -> Select[Appointment]:
    query = select(Appointment)
    if patient_id is not None:
        query = query.where(Appointment.patient_id == patient_id)
    if clinician_id is not None:
        query = query.where(Appointment.clinician_id == clinician_id)
    if status is not None:
        query = query.where(Appointment.status == status)
    if starts_from is not None:
        query = query.where(Appointment.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(Appointment.starts_at < starts_before)
    return query


def page_of_appointments(
    *, session: Session, query: Select[Appointment], limit: int, offset: int
) -> tuple[Sequence[Appointment], int]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Appointment.starts_at, Appointment.id).limit(limit).offset(offset)
    ).all()
    return rows, total


_STRIKES_OF_PATIENT = select(Appointment.starts_at).where(
    Appointment.patient_id == bindparam("patient_id"), Appointment.strike.is_(True)
)


def strikes_of_patient(*, session: Session, patient_id: int) -> list[datetime]:
    """When the patient missed appointments or cancelled late (as the appointment start)."""
    return list(session.scalars(_STRIKES_OF_PATIENT, {"patient_id": patient_id}))


_LOCK_PATIENT_READING_STRIKES = (
    select(Appointment.starts_at)
    .select_from(User)
    .outerjoin(Appointment, and_(Appointment.patient_id == User.id, Appointment.strike.is_(True)))
    .where(User.id == bindparam("patient_id"))
    .with_for_update(key_share=True, of=User)
)


def lock_patient_reading_strikes(*, session: Session, patient_id: int) -> list[datetime]:
    """`strikes_of_patient`, in the same statement that locks the patient for the rest of the
    transaction (`reservations.lock_patient`): a booking pays no extra round trip for it."""
    return [
        strike
        for strike in session.scalars(_LOCK_PATIENT_READING_STRIKES, {"patient_id": patient_id})
        if strike is not None
    ]
