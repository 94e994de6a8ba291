"""Queries for clinicians, resources, appointment types and stored availability."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.clinic.models import (
    AppointmentType,
    AvailabilityException,
    Clinician,
    Resource,
    WeeklyBreak,
    WeeklyHours,
    appointment_type_resource_kinds,
    clinician_appointment_types,
)


def clinician(*, session: Session, clinician_id: int) -> Clinician | None:
    return session.get(Clinician, clinician_id)


def clinician_for_user(*, session: Session, user_id: int) -> Clinician | None:
    return session.scalar(select(Clinician).where(Clinician.user_id == user_id))


def clinicians(
    *, session: Session, specialty: str | None, limit: int, offset: int
) -> tuple[Sequence[Clinician], int]:
    query = select(Clinician)
    if specialty is not None:
        query = query.where(Clinician.specialty == specialty)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Clinician.id).limit(limit).offset(offset)).all()
    return rows, total


def appointment_type(*, session: Session, appointment_type_id: int) -> AppointmentType | None:
    return session.get(AppointmentType, appointment_type_id)


def appointment_types(*, session: Session) -> Sequence[AppointmentType]:
    return session.scalars(select(AppointmentType).order_by(AppointmentType.id)).all()


def offered_type_ids(*, session: Session, clinician_id: int) -> set[int]:
    column = clinician_appointment_types.c.appointment_type_id
    return set(
        session.scalars(
            select(column).where(clinician_appointment_types.c.clinician_id == clinician_id)
        )
    )


def needed_resource_kinds(*, session: Session, appointment_type_id: int) -> list[str]:
    table = appointment_type_resource_kinds
    return list(
        session.scalars(
            select(table.c.resource_kind)
            .where(table.c.appointment_type_id == appointment_type_id)
            .order_by(table.c.resource_kind)
        )
    )


def resources(*, session: Session, kind: str | None = None) -> Sequence[Resource]:
    query = select(Resource).order_by(Resource.id)
    if kind is not None:
        query = query.where(Resource.kind == kind)
    return session.scalars(query).all()


def weekly_hours(*, session: Session, clinician_id: int) -> Sequence[WeeklyHours]:
    return session.scalars(
        select(WeeklyHours)
        .where(WeeklyHours.clinician_id == clinician_id)
        .order_by(WeeklyHours.weekday, WeeklyHours.starts)
    ).all()


def weekly_breaks(*, session: Session, clinician_id: int) -> Sequence[WeeklyBreak]:
    return session.scalars(
        select(WeeklyBreak)
        .where(WeeklyBreak.clinician_id == clinician_id)
        .order_by(WeeklyBreak.weekday, WeeklyBreak.starts)
    ).all()


def exceptions(*, session: Session, clinician_id: int) -> Sequence[AvailabilityException]:
    return session.scalars(
        select(AvailabilityException)
        .where(AvailabilityException.clinician_id == clinician_id)
        .order_by(AvailabilityException.first_day)
    ).all()


def clinic_is_empty(*, session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Clinician)) == 0
