"""Setting up the clinic, and turning its stored rules into the scheduling domain's terms.

The pure `scheduling.availability` module knows nothing of the database; this module is the
one translation from rows (clinicians, weekly hours, breaks, exceptions, resources) into its
frozen schedules, so the booking service and slot search read availability the same way.
Never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Protocol

from sqlalchemy import delete
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
    languages: str = "",
    sees: str = "",
) -> Clinician:
    clinician = Clinician(
        full_name=full_name,
        specialty=specialty.value,
        biography=biography,
        user_id=user_id,
        languages=languages,
        sees=sees,
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


WeeklyWindow = tuple[int, time, time]
"""(weekday 0 = Monday, starts, ends) in the clinic's wall-clock time."""
_API_FIELD = {"start": "starts", "end": "ends", "weekday": "weekday"}


def _checked_windows(windows: Sequence[WeeklyWindow], field: str) -> list[WeeklyWindow]:
    """Each window valid by the domain's rules, and no two on one weekday overlapping (two
    overlapping sessions would offer the same slot twice)."""
    for index, (weekday, starts, ends) in enumerate(windows):
        try:
            availability.WeeklySession(weekday=weekday, start=starts, end=ends)
        except availability.ScheduleInputError as error:
            name = f"{field}.{index}.{_API_FIELD.get(error.field, error.field)}"
            raise InvalidInput(error.problem, field=name) from error
    ordered = sorted(enumerate(windows), key=lambda item: (item[1][0], item[1][1]))
    for (_, before), (index, after) in pairwise(ordered):
        if before[0] == after[0] and after[1] < before[2]:
            raise InvalidInput("overlaps another window on its weekday", field=f"{field}.{index}")
    return list(windows)


def replace_weekly_pattern(
    *,
    session: Session,
    clinician_id: int,
    hours: Sequence[WeeklyWindow],
    breaks: Sequence[WeeklyWindow],
) -> None:
    """Replace the clinician's weekly hours and breaks in one step, all or nothing.

    Appointments already booked stay booked even if they now fall outside the hours: the
    clinic moves them with the patient, the schedule never cancels on its own.
    """
    clinician = repository.clinician(session=session, clinician_id=clinician_id)
    if clinician is None:
        raise NotFound("no such clinician", field="clinician_id")
    checked_hours = _checked_windows(hours, "hours")
    checked_breaks = _checked_windows(breaks, "breaks")
    session.execute(delete(WeeklyHours).where(WeeklyHours.clinician_id == clinician_id))
    session.execute(delete(WeeklyBreak).where(WeeklyBreak.clinician_id == clinician_id))
    for weekday, starts, ends in checked_hours:
        add_weekly_hours(
            session=session, clinician=clinician, weekday=weekday, starts=starts, ends=ends
        )
    for weekday, starts, ends in checked_breaks:
        add_weekly_break(
            session=session, clinician=clinician, weekday=weekday, starts=starts, ends=ends
        )
    session.flush()


def remove_exception(*, session: Session, clinician_id: int, exception_id: int) -> None:
    """Take back leave, a holiday or an extra session (entered by mistake, or cancelled)."""
    row = session.get(AvailabilityException, exception_id)
    if row is None or row.clinician_id != clinician_id:
        raise NotFound("no such exception for this clinician", field="exception_id")
    session.delete(row)
    session.flush()


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


def schedule_for_day(
    *, session: Session, clinician_id: int, time_zone: str, day: date
) -> availability.ClinicianSchedule:
    """The part of the clinician's schedule that decides the slots of one local `day`: that
    weekday's hours and breaks and the exceptions covering the day (one query)."""
    sessions: list[availability.WeeklySession] = []
    breaks: list[availability.WeeklySession] = []
    exceptions: list[availability.AvailabilityException] = []
    weekday = day.weekday()
    for what, starts, ends, first_day, last_day, note in repository.rules_for_day(
        session=session, clinician_id=clinician_id, day=day
    ):
        if what in ("session", "break"):
            assert starts is not None and ends is not None
            window = availability.WeeklySession(weekday=weekday, start=starts, end=ends)
            (sessions if what == "session" else breaks).append(window)
        else:
            assert first_day is not None and last_day is not None
            exceptions.append(
                availability.AvailabilityException(
                    kind=availability.ExceptionKind(what),
                    first_day=first_day,
                    last_day=last_day,
                    start=starts,
                    end=ends,
                    note=note,
                )
            )
    return availability.ClinicianSchedule(
        clinician_id=str(clinician_id),
        time_zone=time_zone,
        sessions=tuple(sorted(sessions, key=lambda window: window.start)),
        breaks=tuple(sorted(breaks, key=lambda window: window.start)),
        exceptions=tuple(sorted(exceptions, key=lambda exception: exception.first_day)),
    )


def domain_appointment_type(
    *, session: Session, appointment_type: AppointmentType
) -> availability.AppointmentType:
    """The type with its resource needs; any resource of a needed kind is a candidate."""
    return appointment_type_needing(
        appointment_type,
        repository.resource_candidates(session=session, appointment_type_id=appointment_type.id),
    )


class TypeTimes(Protocol):
    """What availability needs of an appointment type: a stored row, or the quick booking's
    read of one (which skips the ORM, as the row is never kept)."""

    @property
    def code(self) -> str: ...

    @property
    def duration_minutes(self) -> int: ...

    @property
    def buffer_minutes(self) -> int: ...

    @property
    def minimum_notice_minutes(self) -> int: ...

    @property
    def horizon_days(self) -> int: ...


def appointment_type_needing(
    appointment_type: TypeTimes, candidates: Iterable[tuple[str, int | None]]
) -> availability.AppointmentType:
    """The type with its resource needs, from (needed kind, resource id or None) pairs as
    `repository.resource_candidates` gives them; a needed kind with no resource is refused."""
    by_kind: dict[str, list[str]] = {}
    for kind, resource_id in candidates:
        by_kind.setdefault(kind, [])
        if resource_id is not None and str(resource_id) not in by_kind[kind]:
            by_kind[kind].append(str(resource_id))
    needs = []
    for kind, resource_ids in by_kind.items():
        if not resource_ids:
            raise InvalidInput(
                f"the clinic has no {kind} for {appointment_type.code}",
                field="appointment_type_id",
            )
        needs.append(availability.ResourceNeed(kind=kind, candidates=tuple(resource_ids)))
    return availability.AppointmentType(
        code=appointment_type.code,
        duration=timedelta(minutes=appointment_type.duration_minutes),
        buffer=timedelta(minutes=appointment_type.buffer_minutes),
        resource_needs=tuple(needs),
    )


def booking_window(appointment_type: TypeTimes) -> availability.BookingWindow:
    return availability.BookingWindow(
        minimum_notice=timedelta(minutes=appointment_type.minimum_notice_minutes),
        horizon=timedelta(days=appointment_type.horizon_days),
    )
