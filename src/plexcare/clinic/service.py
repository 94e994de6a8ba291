"""Setting up the clinic, and turning its stored rules into the scheduling domain's terms.

The pure `scheduling.availability` module knows nothing of the database; this module is the
one translation from rows (clinicians, weekly hours, breaks, exceptions, resources) into its
frozen schedules, so the booking service and slot search read availability the same way.
Never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from plexcare.clinic import repository
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
from plexcare.errors import InvalidInput, NotFound
from plexcare.scheduling import availability


class Specialty(StrEnum):
    """The specialties a patient with lumbosacral plexopathy is seen by."""

    neurology = "neurology"
    neurosurgery = "neurosurgery"
    physical_medicine_rehabilitation = "physical_medicine_rehabilitation"
    pain_medicine = "pain_medicine"


def add_clinician(
    *,
    session: Session,
    full_name: str,
    specialty: Specialty,
    biography: str = "",
    user_id: int | None = None,
) -> Clinician:
    clinician = Clinician(
        full_name=full_name, specialty=specialty.value, biography=biography, user_id=user_id
    )
    session.add(clinician)
    session.flush()
    return clinician


def add_resource(*, session: Session, name: str, kind: str) -> Resource:
    resource = Resource(name=name, kind=kind)
    session.add(resource)
    session.flush()
    return resource


def add_appointment_type(
    *,
    session: Session,
    code: str,
    name: str,
    duration_minutes: int,
    buffer_minutes: int = 0,
    minimum_notice_minutes: int = 120,
    horizon_days: int = 90,
    resource_kinds: Iterable[str] = (),
) -> AppointmentType:
    kind = AppointmentType(
        code=code,
        name=name,
        duration_minutes=duration_minutes,
        buffer_minutes=buffer_minutes,
        minimum_notice_minutes=minimum_notice_minutes,
        horizon_days=horizon_days,
    )
    session.add(kind)
    session.flush()
    for resource_kind in resource_kinds:
        session.execute(
            appointment_type_resource_kinds.insert().values(
                appointment_type_id=kind.id, resource_kind=resource_kind
            )
        )
    return kind


def offer_appointment_types(
    *, session: Session, clinician: Clinician, appointment_types: Iterable[AppointmentType]
) -> None:
    for kind in appointment_types:
        session.execute(
            clinician_appointment_types.insert().values(
                clinician_id=clinician.id, appointment_type_id=kind.id
            )
        )


def add_weekly_hours(
    *, session: Session, clinician: Clinician, weekday: int, starts: time, ends: time
) -> WeeklyHours:
    availability.WeeklySession(weekday=weekday, start=starts, end=ends)
    hours = WeeklyHours(clinician_id=clinician.id, weekday=weekday, starts=starts, ends=ends)
    session.add(hours)
    return hours


def add_weekly_break(
    *, session: Session, clinician: Clinician, weekday: int, starts: time, ends: time
) -> WeeklyBreak:
    availability.WeeklySession(weekday=weekday, start=starts, end=ends)
    pause = WeeklyBreak(clinician_id=clinician.id, weekday=weekday, starts=starts, ends=ends)
    session.add(pause)
    return pause


def add_exception(
    *,
    session: Session,
    clinician_id: int,
    kind: availability.ExceptionKind,
    first_day: date,
    last_day: date,
    starts: time | None = None,
    ends: time | None = None,
    note: str = "",
) -> AvailabilityException:
    """Leave, a holiday or an extra session; validated by the domain's own rules first."""
    if repository.clinician(session=session, clinician_id=clinician_id) is None:
        raise NotFound("no such clinician", field="clinician_id")
    try:
        availability.AvailabilityException(
            kind=kind, first_day=first_day, last_day=last_day, start=starts, end=ends, note=note
        )
    except availability.ScheduleInputError as error:
        raise InvalidInput(error.problem, field=error.field) from error
    row = AvailabilityException(
        clinician_id=clinician_id,
        kind=kind.value,
        first_day=first_day,
        last_day=last_day,
        starts=starts,
        ends=ends,
        note=note,
    )
    session.add(row)
    session.flush()
    return row


def schedule_for(
    *, session: Session, clinician: Clinician, time_zone: str
) -> availability.ClinicianSchedule:
    """The clinician's stored weekly pattern, breaks and exceptions as a domain schedule."""
    return availability.ClinicianSchedule(
        clinician_id=str(clinician.id),
        time_zone=time_zone,
        sessions=tuple(
            availability.WeeklySession(weekday=row.weekday, start=row.starts, end=row.ends)
            for row in repository.weekly_hours(session=session, clinician_id=clinician.id)
        ),
        breaks=tuple(
            availability.WeeklySession(weekday=row.weekday, start=row.starts, end=row.ends)
            for row in repository.weekly_breaks(session=session, clinician_id=clinician.id)
        ),
        exceptions=tuple(
            availability.AvailabilityException(
                kind=availability.ExceptionKind(row.kind),
                first_day=row.first_day,
                last_day=row.last_day,
                start=row.starts,
                end=row.ends,
                note=row.note,
            )
            for row in repository.exceptions(session=session, clinician_id=clinician.id)
        ),
    )


def domain_appointment_type(
    *, session: Session, appointment_type: AppointmentType
) -> availability.AppointmentType:
    """The type with its resource needs; any resource of a needed kind is a candidate."""
    needs = []
    for kind in repository.needed_resource_kinds(
        session=session, appointment_type_id=appointment_type.id
    ):
        candidates = tuple(
            str(resource.id) for resource in repository.resources(session=session, kind=kind)
        )
        if not candidates:
            raise InvalidInput(
                f"the clinic has no {kind} for {appointment_type.code}",
                field="appointment_type_id",
            )
        needs.append(availability.ResourceNeed(kind=kind, candidates=candidates))
    return availability.AppointmentType(
        code=appointment_type.code,
        duration=timedelta(minutes=appointment_type.duration_minutes),
        buffer=timedelta(minutes=appointment_type.buffer_minutes),
        resource_needs=tuple(needs),
    )


def booking_window(appointment_type: AppointmentType) -> availability.BookingWindow:
    return availability.BookingWindow(
        minimum_notice=timedelta(minutes=appointment_type.minimum_notice_minutes),
        horizon=timedelta(days=appointment_type.horizon_days),
    )
