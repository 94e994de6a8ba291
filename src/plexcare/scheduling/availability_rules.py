"""The clinic's availability rules as data: sessions, breaks, exceptions, appointment types.

These are the inputs ``plexcare.scheduling.availability`` expands into slots (and re-exports,
so callers import everything from there). Every class validates itself on construction and
raises ``ScheduleInputError`` naming the field, so the API can answer 4xx with a pointer.
Wall-clock times here carry no tzinfo: the zone belongs to the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "AppointmentType",
    "AvailabilityException",
    "BookingWindow",
    "ClinicianSchedule",
    "ExceptionKind",
    "ResourceNeed",
    "ScheduleInputError",
    "WeeklySession",
    "clinic_zone",
    "require_aware",
]


class ScheduleInputError(ValueError):
    """Bad scheduling input, naming the field so the API can answer 4xx with a pointer."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def require_aware(value: datetime, field_name: str) -> None:
    """Refuse naive datetimes: a naive instant is an hour wrong twice a year."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ScheduleInputError(field_name, "must be a time-zone-aware datetime")


def clinic_zone(time_zone: str, field_name: str = "time_zone") -> ZoneInfo:
    """The IANA zone, or a ScheduleInputError naming the field instead of a bare KeyError."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleInputError(field_name, f"unknown IANA time zone {time_zone!r}") from error


@dataclass(frozen=True)
class WeeklySession:
    """A recurring stretch of local wall-clock time on one weekday (0 = Monday … 6 = Sunday).

    Used both for working sessions and for weekly breaks (lunch, ward round).
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ScheduleInputError("weekday", "must be 0 (Monday) to 6 (Sunday)")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ScheduleInputError("start", "must be a wall-clock time without tzinfo")
        if self.end <= self.start:
            raise ScheduleInputError("end", "must be after start (sessions do not cross midnight)")


class ExceptionKind(StrEnum):
    """Why a date departs from the weekly pattern."""

    LEAVE = "leave"
    HOLIDAY = "holiday"
    EXTRA_SESSION = "extra_session"


@dataclass(frozen=True)
class AvailabilityException:
    """A departure from the weekly pattern on every local date from first_day to last_day.

    LEAVE and HOLIDAY close the whole day when start/end are None, otherwise only that window
    of each day. EXTRA_SESSION opens start–end on each day and needs both.
    """

    kind: ExceptionKind
    first_day: date
    last_day: date
    start: time | None = None
    end: time | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ScheduleInputError("last_day", "must not be before first_day")
        if (self.start is None) != (self.end is None):
            raise ScheduleInputError("end", "give both start and end, or neither for a whole day")
        if self.kind is ExceptionKind.EXTRA_SESSION and self.start is None:
            raise ScheduleInputError("start", "an extra session needs a start and an end")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ScheduleInputError("end", "must be after start")

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class ClinicianSchedule:
    """One clinician's availability rules in the clinic's IANA zone (e.g. "Europe/London")."""

    clinician_id: str
    time_zone: str
    sessions: tuple[WeeklySession, ...]
    breaks: tuple[WeeklySession, ...] = ()
    exceptions: tuple[AvailabilityException, ...] = ()
    closed_days: frozenset[date] = frozenset()
    """Local dates the whole clinic is closed (public holidays, closures): no slot at all,
    whatever the weekly pattern, leave or extra sessions say."""

    def __post_init__(self) -> None:
        if not self.clinician_id:
            raise ScheduleInputError("clinician_id", "must not be empty")
        clinic_zone(self.time_zone)

    @property
    def zone(self) -> ZoneInfo:
        return clinic_zone(self.time_zone)


@dataclass(frozen=True)
class ResourceNeed:
    """One resource an appointment type needs; any one of the candidate resource ids will do."""

    kind: str
    candidates: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.candidates:
            raise ScheduleInputError("candidates", f"resource need {self.kind!r} lists no resource")


@dataclass(frozen=True)
class AppointmentType:
    """What is booked: how long it takes, the turnover after it, and what it occupies.

    ``buffer`` is time after the appointment that the clinician and resources stay occupied
    (cleaning the EMG room, writing up); it must fit inside the session like the visit itself.
    """

    code: str
    duration: timedelta
    buffer: timedelta = timedelta(0)
    resource_needs: tuple[ResourceNeed, ...] = ()

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ScheduleInputError("duration", "must be positive")
        if self.buffer < timedelta(0):
            raise ScheduleInputError("buffer", "must not be negative")

    @property
    def step(self) -> timedelta:
        return self.duration + self.buffer


@dataclass(frozen=True)
class BookingWindow:
    """How soon and how far ahead patients may book, measured from the caller's ``now``."""

    minimum_notice: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=90)

    def __post_init__(self) -> None:
        if self.minimum_notice < timedelta(0):
            raise ScheduleInputError("minimum_notice", "must not be negative")
        if self.horizon <= self.minimum_notice:
            raise ScheduleInputError("horizon", "must be longer than the minimum notice")
