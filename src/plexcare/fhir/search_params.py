"""FHIR search parameter values we accept: date prefixes (`ge2026-03-03`, `lt2026-03-04T12:00Z`)
and references (`Practitioner/1` or `1`). Pure; a bad value is InvalidInput naming the
parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from plexcare.errors import InvalidInput

PREFIXES = ("ge", "gt", "le", "lt", "eq")


@dataclass(frozen=True)
class TimeRange:
    """[starts_from, starts_before) in UTC; either end may be open."""

    starts_from: datetime | None = None
    starts_before: datetime | None = None

    def contains(self, moment: datetime) -> bool:
        if self.starts_from is not None and moment < self.starts_from:
            return False
        return self.starts_before is None or moment < self.starts_before


def _moment(text: str, *, zone: ZoneInfo, field: str) -> tuple[datetime, bool]:
    """The instant and whether only a date was given (a local day in the clinic's zone)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC), True
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidInput(
            f"{text!r} is not a date (YYYY-MM-DD) or an instant", field=field
        ) from error
    if moment.tzinfo is None:
        raise InvalidInput("give the instant's time zone (Z or +hh:mm)", field=field)
    return moment.astimezone(UTC), False


def time_range(values: list[str], *, zone: str, field: str) -> TimeRange:
    """The range that every `values` entry (`ge…`, `lt…`, a bare day) allows."""
    clinic_zone = ZoneInfo(zone)
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    for raw in values:
        prefix = raw[:2] if raw[:2] in PREFIXES else "eq"
        text = raw[2:] if raw[:2] in PREFIXES else raw
        moment, whole_day = _moment(text, zone=clinic_zone, field=field)
        day_end = (
            datetime.combine(
                moment.astimezone(clinic_zone).date() + timedelta(days=1),
                time(0),
                tzinfo=clinic_zone,
            ).astimezone(UTC)
            if whole_day
            else moment + timedelta(microseconds=1)
        )
        low, high = None, None
        if prefix == "ge":
            low = moment
        elif prefix == "gt":
            low = day_end if whole_day else moment + timedelta(microseconds=1)
        elif prefix == "lt":
            high = moment
        elif prefix == "le":
            high = day_end
        else:
            low, high = moment, day_end
        if low is not None:
            starts_from = low if starts_from is None else max(starts_from, low)
        if high is not None:
            starts_before = high if starts_before is None else min(starts_before, high)
    return TimeRange(starts_from, starts_before)


def reference_id(value: str, kind: str, *, field: str) -> int:
    """`Practitioner/3` or `3` as 3; anything else names the parameter."""
    text = value.removeprefix(f"{kind}/")
    if not text.isdigit() or len(text) > 9:
        raise InvalidInput(f"give a {kind} reference such as {kind}/1", field=field)
    return int(text)
