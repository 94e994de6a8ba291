"""The front desk's promises for callbacks: how soon each urgency is called, and when.

An emergency is never a callback: someone with saddle numbness or new bladder trouble, or
bleeding on an anticoagulant, needs an emergency department now, not a phone call in a
quarter of an hour that may come too late. So an emergency cannot be queued here at all; the
caller shows emergency advice instead (`EmergencyCareNeeded` carries it). Everything else is
queued as ``urgent`` (called within 2 clinic hours) or ``routine`` (within 1 working day).

Targets count **clinic time**: the hours the desk is staffed, on working days, in the clinic's
IANA time zone. A routine request made on Friday at 16:00, with hours 08:00–18:00, is due on
Monday at 16:00; nobody is in to ring at 3 a.m., and the queue should not pretend otherwise.

Every function takes ``now`` (or the request time) explicitly; nothing reads a clock.

Usage::

    urgency = callback_urgency_for_triage(triage.urgency)   # raises on "emergency"
    due = response_due(requested_at=created, urgency=urgency, hours=ClinicHours())
    overdue = is_overdue(created, urgency, now)
    window = validate_preferred_window(start, end, now=now, hours=ClinicHours())
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plexcare.errors import InvalidInput

__all__ = [
    "CALLBACK_URGENCIES",
    "EMERGENCY_ADVICE",
    "CallbackInputError",
    "CallbackUrgency",
    "ClinicHours",
    "EmergencyCareNeeded",
    "PreferredWindow",
    "ResponseTargets",
    "callback_urgency_for_triage",
    "check_urgency",
    "is_overdue",
    "response_due",
    "validate_preferred_window",
]

CallbackUrgency = Literal["urgent", "routine"]
CALLBACK_URGENCIES: tuple[CallbackUrgency, ...] = ("urgent", "routine")

EMERGENCY_ADVICE = (
    "Your answers need emergency care, not a callback. Go to an emergency department now, or "
    "call the emergency number (999 in the UK, 112 in Europe) if you cannot get there safely."
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SEARCH_DAYS = 400  # more than a year of closures would be a configuration error


class CallbackInputError(InvalidInput):
    """A callback request field that cannot be accepted; `field` names it."""


class EmergencyCareNeeded(InvalidInput):
    """An emergency was about to be queued as a callback; show `advice` instead."""

    def __init__(self) -> None:
        super().__init__(EMERGENCY_ADVICE, field="urgency")
        self.advice = EMERGENCY_ADVICE


@dataclass(frozen=True)
class ClinicHours:
    """When the front desk is staffed, in local wall-clock time (weekday 0 = Monday)."""

    time_zone: str = "Europe/London"
    opens: time = time(8)
    closes: time = time(18)
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {self.time_zone!r}") from error
        if self.closes <= self.opens:
            raise ValueError("clinic hours must close after they open, on the same day")
        if not self.working_days or not self.working_days <= set(range(7)):
            raise ValueError("working days must be weekday numbers 0 (Monday) to 6 (Sunday)")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def open_interval(self, day: date) -> tuple[datetime, datetime]:
        """The UTC instants the desk opens and closes on local date `day`."""
        zone = self.zone
        opens = datetime.combine(day, self.opens, tzinfo=zone).astimezone(UTC)
        closes = datetime.combine(day, self.closes, tzinfo=zone).astimezone(UTC)
        return opens, closes

    def describe(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M} ({self.time_zone})"


@dataclass(frozen=True)
class ResponseTargets:
    """How much clinic time may pass before a callback of each urgency is overdue."""

    urgent: timedelta = timedelta(hours=2)
    routine_working_days: int = 1
    hours: ClinicHours = field(default_factory=ClinicHours)

    def for_urgency(self, urgency: CallbackUrgency) -> timedelta:
        if urgency == "urgent":
            return self.urgent
        return self.hours.day_length * self.routine_working_days


def _require_aware(value: datetime, field_name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CallbackInputError("must include a time zone", field=field_name)
    return value.astimezone(UTC)


def check_urgency(value: str) -> CallbackUrgency:
    """Accept ``urgent`` or ``routine``; refuse ``emergency`` with the advice to show instead."""
    if value == "emergency":
        raise EmergencyCareNeeded()
    if value == "urgent":
        return "urgent"
    if value == "routine":
        return "routine"
    raise CallbackInputError(
        f"unknown urgency {value!r}; expected one of: urgent, routine", field="urgency"
    )


def callback_urgency_for_triage(triage_urgency: str) -> CallbackUrgency:
    """The callback urgency for a self-check answer (emergency, same_day, urgent, soon,
    routine); a same-day answer is called as urgent.

    ``emergency`` raises `EmergencyCareNeeded`: the page shows emergency advice first; if it
    also records a callback for afterwards, it queues it as ``urgent``, never as the answer.
    """
    if triage_urgency in ("soon", "routine"):
        return "routine"
    if triage_urgency == "same_day":
        return "urgent"
    return check_urgency(triage_urgency)


def _add_clinic_time(start: datetime, amount: timedelta, hours: ClinicHours) -> datetime:
    remaining = amount
    day = start.astimezone(hours.zone).date()
    for _ in range(_SEARCH_DAYS):
        if hours.is_working_day(day):
            opens, closes = hours.open_interval(day)
            begin = max(start, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("the clinic has no working hours in the coming year")


def response_due(
    *,
    requested_at: datetime,
    urgency: CallbackUrgency,
    targets: ResponseTargets | None = None,
) -> datetime:
    """When a callback requested at `requested_at` must have been made (UTC)."""
    chosen = targets or ResponseTargets()
    start = _require_aware(requested_at, "requested_at")
    return _add_clinic_time(start, chosen.for_urgency(check_urgency(urgency)), chosen.hours)


def is_overdue(
    requested_at: datetime,
    urgency: CallbackUrgency,
    now: datetime,
    *,
    targets: ResponseTargets | None = None,
) -> bool:
    """True once `now` is past the response target of an unanswered request.

    Closed requests (called back, cancelled) are never overdue; the caller filters them.
    """
    current = _require_aware(now, "now")
    return current > response_due(requested_at=requested_at, urgency=urgency, targets=targets)


@dataclass(frozen=True)
class PreferredWindow:
    """When the caller would like to be rung, as UTC instants."""

    start: datetime
    end: datetime


def validate_preferred_window(
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    hours: ClinicHours | None = None,
    minimum_length: timedelta = timedelta(minutes=30),
    horizon: timedelta = timedelta(days=30),
) -> PreferredWindow:
    """Check a preferred time window: in order, in the future, inside one day's clinic hours.

    Errors name ``preferred_start`` or ``preferred_end`` and say what the caller can change.
    """
    clinic = hours or ClinicHours()
    first = _require_aware(start, "preferred_start")
    last = _require_aware(end, "preferred_end")
    current = _require_aware(now, "now")
    if last <= first:
        raise CallbackInputError("must be after the start of the window", field="preferred_end")
    if first < current:
        raise CallbackInputError("must be in the future", field="preferred_start")
    if first > current + horizon:
        raise CallbackInputError(
            f"must be within the next {horizon.days} days", field="preferred_start"
        )
    if last - first < minimum_length:
        minutes = int(minimum_length.total_seconds() // 60)
        raise CallbackInputError(
            f"the window must be at least {minutes} minutes long", field="preferred_end"
        )
    local_start = first.astimezone(clinic.zone)
    local_end = last.astimezone(clinic.zone)
    day = local_start.date()
    if not clinic.is_working_day(day):
        raise CallbackInputError(
            f"the clinic is closed on {_WEEKDAYS[day.weekday()]} {day:%d %B %Y}",
            field="preferred_start",
        )
    opens, closes = clinic.open_interval(day)
    if local_end.date() != day or first < opens or last > closes:
        field_name = "preferred_start" if first < opens else "preferred_end"
        raise CallbackInputError(
            f"must be within clinic hours {clinic.describe()}", field=field_name
        )
    return PreferredWindow(start=first, end=last)
