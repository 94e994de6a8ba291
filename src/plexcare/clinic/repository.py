"""Queries for clinicians, resources, appointment types and stored availability."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from datetime import date, time
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    Integer,
    SmallInteger,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
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


def needed_resource_kinds_by_type(*, session: Session) -> dict[int, list[str]]:
    """`needed_resource_kinds` of every appointment type that needs any, in one query (the
    public list of types would otherwise ask once per type)."""
    table = appointment_type_resource_kinds
    needs: dict[int, list[str]] = {}
    rows = session.execute(
        select(table.c.appointment_type_id, table.c.resource_kind).order_by(
            table.c.appointment_type_id, table.c.resource_kind
        )
    )
    for type_id, resource_kind in typing.cast(list[tuple[int, str]], list(rows)):
        needs.setdefault(type_id, []).append(resource_kind)
    return needs


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


DayRule = tuple[str, time | None, time | None, date | None, date | None, str]
"""(what, starts, ends, first_day, last_day, note): what is "session", "break" or an exception
kind; the dates and note are an exception's only."""


def _rules_for_day_statement() -> CompoundSelect[Any]:
    clinician_id = bindparam("clinician_id", type_=Integer)
    weekday = bindparam("weekday", type_=SmallInteger)
    no_day = cast(null(), Date)
    exceptions = select(
        AvailabilityException.kind,
        AvailabilityException.starts,
        AvailabilityException.ends,
        AvailabilityException.first_day,
        AvailabilityException.last_day,
        AvailabilityException.note,
    ).where(
        AvailabilityException.clinician_id == clinician_id,
        AvailabilityException.first_day <= bindparam("day"),
        AvailabilityException.last_day >= bindparam("day"),
    )
    hours = select(
        literal("session"), WeeklyHours.starts, WeeklyHours.ends, no_day, no_day, literal("")
    ).where(WeeklyHours.clinician_id == clinician_id, WeeklyHours.weekday == weekday)
    breaks = select(
        literal("break"), WeeklyBreak.starts, WeeklyBreak.ends, no_day, no_day, literal("")
    ).where(WeeklyBreak.clinician_id == clinician_id, WeeklyBreak.weekday == weekday)
    return union_all(exceptions, hours, breaks)


_RULES_FOR_DAY = _rules_for_day_statement()
"""Built once: every booking runs it, and building a statement costs more than running it."""


def rules_for_day(*, session: Session, clinician_id: int, day: date) -> list[DayRule]:
    """The weekly hours and breaks on `day`'s weekday and the exceptions covering `day`, in
    one query: checking one requested slot needs that one local day, not the whole pattern."""
    parameters = {"clinician_id": clinician_id, "weekday": day.weekday(), "day": day}
    return typing.cast(list[DayRule], list(session.execute(_RULES_FOR_DAY, parameters)))


def resource_candidates(
    *, session: Session, appointment_type_id: int
) -> list[tuple[str, int | None]]:
    """(needed resource kind, a resource of that kind or None when the clinic has none), by
    kind then resource id: the type's resource needs in one query."""
    table = appointment_type_resource_kinds
    rows = session.execute(
        select(table.c.resource_kind, Resource.id)
        .outerjoin(Resource, Resource.kind == table.c.resource_kind)
        .where(table.c.appointment_type_id == appointment_type_id)
        .order_by(table.c.resource_kind, Resource.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def clinic_is_empty(*, session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Clinician)) == 0
