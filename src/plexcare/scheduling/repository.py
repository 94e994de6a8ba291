"""Queries for appointments, holds and busy time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from plexcare.scheduling.availability import BusyInterval
from plexcare.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentResource,
    SlotHold,
)


def appointment(*, session: Session, appointment_id: int) -> Appointment | None:
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


def delete_expired_holds(*, session: Session, clinician_id: int, now: datetime) -> None:
    session.execute(
        delete(SlotHold)
        .where(
            SlotHold.clinician_id == clinician_id,
            SlotHold.expires_at <= now,
            SlotHold.waitlist_entry_id.is_(None),
        )
        .execution_options(synchronize_session=False)
    )


def hold(*, session: Session, hold_id: int) -> SlotHold | None:
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


def strikes_of_patient(*, session: Session, patient_id: int) -> list[datetime]:
    """When the patient missed appointments or cancelled late (as the appointment start)."""
    return list(
        session.scalars(
            select(Appointment.starts_at).where(
                Appointment.patient_id == patient_id, Appointment.strike.is_(True)
            )
        )
    )
