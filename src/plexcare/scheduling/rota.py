"""The rota a slot search expands, read in two statements however many clinicians and days it
covers: who offers what (clinicians, their appointment types and the rooms and machines each
type needs), then everything that shapes their time over the searched dates in one UNION ALL
(weekly hours and breaks, leave and extra sessions, the clinic's own closures and openings,
active appointments, live holds and the resources' bookings).

Asking per clinician and per day is what made a search of fifty clinicians cost hundreds of
round trips; the rows themselves are few, so reading them all at once and expanding in memory
(`plexcare.scheduling.availability`) is both faster and the same answer. Reads only.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BindParameter,
    Boolean,
    CompoundSelect,
    Date,
    Integer,
    Select,
    SmallInteger,
    Text,
    Time,
    bindparam,
    cast,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

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
from plexcare.db import UTCDateTime
from plexcare.scheduling import availability
from plexcare.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentResource,
    ClinicDay,
    SlotHold,
)

LONGEST_VISIT = timedelta(days=1)
"""Longer than any appointment with its buffer can be: the admin's form allows 8 hours and 2
(`admin.clinic_setup`), and holds last as long as the visit they keep."""

Offer = tuple[Clinician, AppointmentType, str | None, int | None]
"""(clinician, a type they offer, a resource kind the type needs or None, a resource of that
kind or None): one row per candidate resource, one row for a type that needs none."""


@functools.cache
def _who_statement(*, specialty: bool, clinician: bool, appointment_type: bool) -> Select[Any]:
    offers = clinician_appointment_types
    needs = appointment_type_resource_kinds
    query = (
        select(Clinician, AppointmentType, needs.c.resource_kind, Resource.id)
        .select_from(Clinician)
        .join(offers, offers.c.clinician_id == Clinician.id)
        .join(AppointmentType, AppointmentType.id == offers.c.appointment_type_id)
        .outerjoin(needs, needs.c.appointment_type_id == AppointmentType.id)
        .outerjoin(Resource, Resource.kind == needs.c.resource_kind)
        .order_by(Clinician.id, AppointmentType.id, needs.c.resource_kind, Resource.id)
    )
    if specialty:
        query = query.where(Clinician.specialty == bindparam("specialty"))
    if clinician:
        query = query.where(Clinician.id == bindparam("clinician_id"))
    if appointment_type:
        query = query.where(AppointmentType.id == bindparam("appointment_type_id"))
    return query


def offers(
    *,
    session: Session,
    specialty: str | None,
    clinician_id: int | None,
    appointment_type_id: int | None,
) -> list[Offer]:
    """Every (clinician, offered type, needed resource) row matching the filters, ordered by
    clinician, type, resource kind and resource: one statement."""
    statement = _who_statement(
        specialty=specialty is not None,
        clinician=clinician_id is not None,
        appointment_type=appointment_type_id is not None,
    )
    parameters = {
        "specialty": specialty,
        "clinician_id": clinician_id,
        "appointment_type_id": appointment_type_id,
    }
    used = {name: value for name, value in parameters.items() if value is not None}
    rows = session.execute(statement, used).all()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


@dataclass
class ClinicianTime:
    """One clinician's stored rules and busy time over the searched dates."""

    sessions: list[tuple[int, time, time]] = field(default_factory=list)
    breaks: list[tuple[int, time, time]] = field(default_factory=list)
    exceptions: list[tuple[str, date, date, time | None, time | None]] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    """Active appointments and live holds, as `joined_busy` text (see `busy_micros`)."""


@dataclass
class Rota:
    """What the calendar statement found, sorted by owner."""

    clinicians: dict[int, ClinicianTime]
    resource_busy: dict[int, list[str]]
    """Each resource's bookings, as `joined_busy` text."""
    open_by_day: dict[date, bool]
    """The admins' departures from the holiday calendar: day -> open after all."""


class joined_busy(FunctionElement[str]):
    """An owner's busy intervals as one text, "start:end,start:end", in whole microseconds
    since the Unix epoch (an aggregate: group by the owner).

    Thirty thousand appointments read as timestamps cost most of a search in Python's date
    parsing alone; as one string per clinician they are parsed by NumPy in a few milliseconds,
    exactly (microseconds are what both databases store).
    """

    type = Text()
    inherit_cache = True
    name = "joined_busy"


@compiles(joined_busy, "postgresql")
def _joined_busy_postgresql(element: joined_busy, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)

    def micros(column: str) -> str:
        return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"

    return f"string_agg({micros(start)} || ':' || {micros(end)}, ',')"


@compiles(joined_busy)
def _joined_busy_sqlite(element: joined_busy, compiler: SQLCompiler, **kw: Any) -> str:
    """SQLite keeps UTCDateTime as naive "YYYY-MM-DD HH:MM:SS.ffffff" text: handed over as
    stored, "start|end,start|end", for NumPy to parse. Turning each into microseconds in SQL
    (`strftime`) cost a search of fifty clinicians 15 ms; NumPy parses the texts in a fraction
    of one."""
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"group_concat({start} || '|' || {end}, ',')"


def busy_micros(joined: Sequence[str]) -> npt.NDArray[np.int64]:
    """`joined_busy` texts as an (n, 2) array of [start, end) in microseconds since the epoch:
    numbers from PostgreSQL, stored UTC texts from SQLite."""
    if not joined:
        return np.empty((0, 2), dtype=np.int64)
    text = ",".join(joined)
    if "|" in text:
        stamps = np.array(text.replace("|", ",").split(","), dtype="datetime64[us]")
        return stamps.astype(np.int64).reshape(-1, 2)
    return np.array(text.replace(":", ",").split(","), dtype=np.int64).reshape(-1, 2)


def _calendar_statement() -> CompoundSelect[Any]:
    ids: BindParameter[int] = bindparam("clinician_ids", type_=Integer, expanding=True)
    first_day, last_day = bindparam("first_day", type_=Date), bindparam("last_day", type_=Date)
    start = bindparam("start", type_=UTCDateTime())
    end = bindparam("end", type_=UTCDateTime())
    # Busy time overlapping [start, end) began less than a day before `start` (no visit is
    # longer: `LONGEST_VISIT`); the bound lets the (clinician, start) index skip the clinic's
    # history instead of reading every past appointment on every search.
    earliest_start = bindparam("earliest_start", type_=UTCDateTime())
    no_id = cast(null(), Integer)
    no_weekday = cast(null(), SmallInteger)
    no_day = cast(null(), Date)
    no_time = cast(null(), Time)
    no_busy = cast(null(), Text)
    no_flag = cast(null(), Boolean)

    def weekly(what: str, table: type[WeeklyHours] | type[WeeklyBreak]) -> Select[Any]:
        rows = select(
            literal(what),
            table.clinician_id,
            table.weekday,
            no_day,
            no_day,
            table.starts,
            table.ends,
            no_busy,
            no_flag,
        ).where(table.clinician_id.in_(ids))
        return typing.cast("Select[Any]", rows)

    leave = select(
        AvailabilityException.kind,
        AvailabilityException.clinician_id,
        no_weekday,
        AvailabilityException.first_day,
        AvailabilityException.last_day,
        AvailabilityException.starts,
        AvailabilityException.ends,
        no_busy,
        no_flag,
    ).where(
        AvailabilityException.clinician_id.in_(ids),
        AvailabilityException.first_day <= last_day,
        AvailabilityException.last_day >= first_day,
    )
    clinic_days = select(
        literal("clinic_day"),
        no_id,
        no_weekday,
        ClinicDay.day,
        no_day,
        no_time,
        no_time,
        no_busy,
        ClinicDay.is_open,
    ).where(ClinicDay.day >= first_day, ClinicDay.day <= last_day)
    booked = (
        select(
            literal("booked"),
            Appointment.clinician_id,
            no_weekday,
            no_day,
            no_day,
            no_time,
            no_time,
            joined_busy(Appointment.starts_at, Appointment.blocked_until),
            no_flag,
        )
        .where(
            Appointment.clinician_id.in_(ids),
            Appointment.status.in_([literal_column(f"'{status}'") for status in ACTIVE_STATUSES]),
            Appointment.starts_at < end,
            Appointment.starts_at > earliest_start,
            Appointment.blocked_until > start,
        )
        .group_by(Appointment.clinician_id)
    )
    held = (
        select(
            literal("held"),
            SlotHold.clinician_id,
            no_weekday,
            no_day,
            no_day,
            no_time,
            no_time,
            joined_busy(SlotHold.starts_at, SlotHold.blocked_until),
            no_flag,
        )
        .where(
            SlotHold.clinician_id.in_(ids),
            SlotHold.expires_at > bindparam("now", type_=UTCDateTime()),
            SlotHold.starts_at < end,
            SlotHold.starts_at > earliest_start,
            SlotHold.blocked_until > start,
        )
        .group_by(SlotHold.clinician_id)
    )
    resources = (
        select(
            literal("resource"),
            AppointmentResource.resource_id,
            no_weekday,
            no_day,
            no_day,
            no_time,
            no_time,
            joined_busy(AppointmentResource.starts_at, AppointmentResource.blocked_until),
            no_flag,
        )
        .where(
            AppointmentResource.resource_id.in_(bindparam("resource_ids", expanding=True)),
            AppointmentResource.starts_at < end,
            AppointmentResource.starts_at > earliest_start,
            AppointmentResource.blocked_until > start,
        )
        .group_by(AppointmentResource.resource_id)
    )
    return union_all(
        weekly("session", WeeklyHours),
        weekly("break", WeeklyBreak),
        leave,
        clinic_days,
        booked,
        held,
        resources,
    )


_CALENDAR = _calendar_statement()
"""Built once: every search runs it, and building a statement costs more than running it."""

_Row = tuple[
    str,
    int | None,
    int | None,
    date | None,
    date | None,
    time | None,
    time | None,
    str | None,
    bool | None,
]


def calendar(
    *,
    session: Session,
    clinician_ids: Sequence[int],
    resource_ids: Sequence[int],
    first_day: date,
    last_day: date,
    start: datetime,
    end: datetime,
    now: datetime,
) -> Rota:
    """The rules of `clinician_ids` with leave touching first_day..last_day, the clinic's
    departures on those dates, and the busy time of the clinicians and `resource_ids`
    overlapping [start, end) (holds only while live at `now`): one statement."""
    rows = typing.cast(
        Sequence[_Row],
        session.execute(
            _CALENDAR,
            {
                "clinician_ids": list(clinician_ids),
                "resource_ids": list(resource_ids),
                "first_day": first_day,
                "last_day": last_day,
                "start": start,
                "end": end,
                "earliest_start": start - LONGEST_VISIT,
                "now": now,
            },
        ).all(),
    )
    return from_rows(rows, clinician_ids=clinician_ids, resource_ids=resource_ids)


def from_rows(
    rows: Iterable[Sequence[Any]], *, clinician_ids: Sequence[int], resource_ids: Sequence[int]
) -> Rota:
    """The rota from rows shaped as the calendar statement returns them (what, owner, weekday,
    day, until, starts, ends, busy, is_open), whichever driver read them: the booking's quick
    path reads one clinician's day through asyncpg in this same shape."""
    rota = Rota(
        clinicians={clinician_id: ClinicianTime() for clinician_id in clinician_ids},
        resource_busy={resource_id: [] for resource_id in resource_ids},
        open_by_day={},
    )
    for what, owner, weekday, day, until, starts, ends, busy, is_open in rows:
        if what == "clinic_day":
            assert day is not None and is_open is not None
            rota.open_by_day[day] = bool(is_open)
        elif what == "resource":
            assert owner is not None and busy is not None
            rota.resource_busy[owner].append(busy)
        else:
            assert owner is not None
            person = rota.clinicians[owner]
            if what in ("booked", "held"):
                assert busy is not None
                person.busy.append(busy)
            elif what in ("session", "break"):
                assert weekday is not None and starts is not None and ends is not None
                (person.sessions if what == "session" else person.breaks).append(
                    (weekday, starts, ends)
                )
            else:
                assert day is not None and until is not None
                person.exceptions.append((what, day, until, starts, ends))
    return rota


def schedule_of(
    clinician_id: int, time_of: ClinicianTime, zone: str, closed: frozenset[date]
) -> availability.ClinicianSchedule:
    """One clinician's stored rules as the schedule availability expands."""
    return availability.ClinicianSchedule(
        clinician_id=str(clinician_id),
        time_zone=zone,
        sessions=tuple(
            availability.WeeklySession(weekday=weekday, start=starts, end=ends)
            for weekday, starts, ends in sorted(time_of.sessions)
        ),
        breaks=tuple(
            availability.WeeklySession(weekday=weekday, start=starts, end=ends)
            for weekday, starts, ends in sorted(time_of.breaks)
        ),
        exceptions=tuple(
            availability.AvailabilityException(
                kind=availability.ExceptionKind(kind),
                first_day=first_day,
                last_day=last_day,
                start=starts,
                end=ends,
            )
            for kind, first_day, last_day, starts, ends in time_of.exceptions
        ),
        closed_days=closed,
    )
