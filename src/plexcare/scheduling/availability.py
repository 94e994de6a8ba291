"""Turn a clinician's weekly availability into bookable slots, correctly across daylight saving.

Clinicians think in wall-clock time ("Mondays 09:00–12:00, Europe/London"); the database and the
booking constraint think in UTC instants. This module is the one place that converts between
them, so the rule is written down once:

* Sessions, breaks and exceptions are **local wall-clock** times on a local date in the
  schedule's IANA zone. A session never crosses local midnight.
* A wall-clock time that does not exist (inside a spring-forward gap, e.g. 01:30 in London on
  the last Sunday of March) is moved **forward to the instant the clocks jumped** (02:00 BST),
  the first moment the wall clock reads that time or later.
* A wall-clock time that occurs twice (a fall-back overlap, e.g. 01:30 in London on the last
  Sunday of October) means its **first occurrence** (``fold=0``, still on summer time).
* Once the session edges are instants, everything else (breaks, leave, busy time, the slot grid)
  is done in UTC. Slots step by ``duration + buffer`` of real elapsed time from each open
  stretch's start, so a session that contains a changeover yields slots of the true length,
  never a slot at a non-existent time and never two slots at one instant.

Extra sessions are added after leave, holidays and weekly breaks are removed: an extra session on
a holiday is a deliberate decision and stands. On a fall-back day a wall-clock time inside the
repeated hour can therefore appear on two slots, an hour apart in UTC; show the offset or zone
abbreviation next to such times.

The rule classes live in ``availability_rules`` and are re-exported here: import from this module.

Usage::

    from datetime import UTC, date, datetime, time, timedelta
    from plexcare.scheduling.availability import (
        AppointmentType, BookingWindow, BusyInterval, ClinicianSchedule, ResourceNeed,
        WeeklySession, find_slots,
    )

    schedule = ClinicianSchedule(
        clinician_id="dr-okafor",
        time_zone="Europe/London",
        sessions=(WeeklySession(weekday=0, start=time(9), end=time(12)),),
    )
    emg = AppointmentType(
        code="emg-ncs",
        duration=timedelta(minutes=60),
        buffer=timedelta(minutes=15),
        resource_needs=(
            ResourceNeed(kind="emg-room", candidates=("emg-room-1",)),
            ResourceNeed(kind="emg-machine", candidates=("emg-machine-1", "emg-machine-2")),
        ),
    )
    slots = find_slots(
        schedule=schedule,
        appointment_type=emg,
        first_day=date(2025, 3, 31),
        last_day=date(2025, 4, 6),
        now=datetime(2025, 3, 28, 12, tzinfo=UTC),
        window=BookingWindow(minimum_notice=timedelta(hours=24), horizon=timedelta(days=90)),
        clinician_busy=(BusyInterval(start=..., end=...),),
        resource_busy={"emg-room-1": (BusyInterval(start=..., end=...),)},
    )
    slots[0].start, slots[0].occupied_until, slots[0].resource_ids  # UTC, UTC, ("emg-room-1", ...)

Store ``[slot.start, slot.occupied_until)`` as the busy interval of the clinician and of every
resource in ``slot.resource_ids``; that is what later calls must receive as busy time.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from plexcare.scheduling.availability_rules import (
    AppointmentType,
    AvailabilityException,
    BookingWindow,
    ClinicianSchedule,
    ExceptionKind,
    ResourceNeed,
    ScheduleInputError,
    WeeklySession,
    clinic_zone,
    require_aware,
)

__all__ = [
    "AppointmentType",
    "AvailabilityException",
    "BookingWindow",
    "BusyInterval",
    "BusyTime",
    "ClinicianSchedule",
    "ExceptionKind",
    "ResourceNeed",
    "ScheduleInputError",
    "Slot",
    "WeeklySession",
    "earliest_slot",
    "find_slots",
    "iter_slots",
    "micros",
    "slot_starting_at",
    "wall_clock_to_utc",
    "window_days",
]

_Interval = tuple[datetime, datetime]
_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class BusyInterval:
    """Half-open [start, end) during which a clinician or resource is already taken."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end <= self.start:
            raise ScheduleInputError("end", "must be after start")


@dataclass(frozen=True)
class Slot:
    """A bookable candidate. ``start``/``end`` are UTC; ``occupied_until`` adds the buffer."""

    clinician_id: str
    appointment_type: str
    start: datetime
    end: datetime
    occupied_until: datetime
    resource_ids: tuple[str, ...]
    time_zone: str
    resource_kinds: tuple[str, ...] = field(default=())

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(ZoneInfo(self.time_zone))

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(ZoneInfo(self.time_zone))


def wall_clock_to_utc(*, day: date, wall_time: time, time_zone: str) -> datetime:
    """The UTC instant of a local wall-clock time, by the gap/overlap rule in the module doc."""
    return _to_utc(day, wall_time, clinic_zone(time_zone))


@functools.lru_cache(maxsize=16384)
def _to_utc(day: date, wall_time: time, zone: ZoneInfo) -> datetime:
    """Cached: a search of fifty clinicians asks for the same few wall-clock times (09:00,
    12:30, 17:00) on the same days over and over."""
    naive = datetime.combine(day, wall_time)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In a gap, fold=0 lands after the jump and fold=1 before it; the jump is the first instant
    # whose wall clock reads `naive` or later. Transitions fall on whole seconds.
    before = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after = first
    while after - before > _ONE_SECOND:
        middle = before + (after - before) // 2
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            after = middle
        else:
            before = middle
    return after


def _utc_interval(day: date, start: time, end: time, zone: ZoneInfo) -> _Interval | None:
    begins, ends = _to_utc(day, start, zone), _to_utc(day, end, zone)
    return (begins, ends) if ends > begins else None


def _union(intervals: Iterable[_Interval]) -> list[_Interval]:
    merged: list[_Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(base: list[_Interval], cuts: list[_Interval]) -> list[_Interval]:
    result: list[_Interval] = []
    for start, end in base:
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def _open_stretches(schedule: ClinicianSchedule, day: date, zone: ZoneInfo) -> list[_Interval]:
    """The day's bookable UTC stretches: weekly sessions minus breaks and closures, plus extras;
    none on a day the whole clinic is closed."""
    if day in schedule.closed_days:
        return []
    weekday = day.weekday()
    weekly = [
        _utc_interval(day, session.start, session.end, zone)
        for session in schedule.sessions
        if session.weekday == weekday
    ]
    cuts = [
        _utc_interval(day, pause.start, pause.end, zone)
        for pause in schedule.breaks
        if pause.weekday == weekday
    ]
    extras: list[_Interval | None] = []
    for exception in schedule.exceptions:
        if not exception.covers(day):
            continue
        if exception.kind is ExceptionKind.EXTRA_SESSION:
            assert exception.start is not None and exception.end is not None
            extras.append(_utc_interval(day, exception.start, exception.end, zone))
        elif exception.start is None or exception.end is None:
            next_day = day + timedelta(days=1)
            cuts.append((_to_utc(day, time(0), zone), _to_utc(next_day, time(0), zone)))
        else:
            cuts.append(_utc_interval(day, exception.start, exception.end, zone))
    opened = _subtract(
        _union(i for i in weekly if i is not None), _union(i for i in cuts if i is not None)
    )
    return _union([*opened, *(i for i in extras if i is not None)])


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(instant: datetime) -> int:
    """An aware instant as whole microseconds since the Unix epoch (exact, unlike timestamp())."""
    return (instant - _EPOCH) // _MICROSECOND


class BusyTime:
    """Merged busy intervals of one clinician or resource with a bisect lookup, so checking a
    slot is O(log n). Built once and shared by every appointment type a search expands for
    that clinician or resource.

    Kept as integer microseconds since the epoch: a search reads tens of thousands of busy
    intervals as numbers (`rota.busy_micros`) and merges them with NumPy, and only the few
    slots it checks are turned into numbers, never the busy rows into datetimes.
    """

    def __init__(self, intervals: npt.NDArray[np.int64] | None = None) -> None:
        """`intervals`: an (n, 2) array of [start, end) microseconds, end after start, any
        order."""
        if intervals is None or len(intervals) == 0:
            self._starts: list[int] = []
            self._ends: list[int] = []
            return
        order = np.argsort(intervals[:, 0], kind="stable")
        starts, ends = intervals[order, 0], intervals[order, 1]
        reach = np.maximum.accumulate(ends)
        opens = np.empty(len(starts), dtype=bool)
        opens[0] = True
        opens[1:] = starts[1:] > reach[:-1]
        closes = np.append(opens[1:], True)
        self._starts = starts[opens].tolist()
        self._ends = reach[closes].tolist()

    @classmethod
    def of(cls, busy: Iterable[BusyInterval]) -> BusyTime:
        pairs = [(micros(interval.start), micros(interval.end)) for interval in busy]
        return cls(np.array(pairs, dtype=np.int64).reshape(-1, 2))

    def is_free(self, start: datetime, end: datetime) -> bool:
        index = bisect.bisect_right(self._ends, micros(start))
        return index == len(self._starts) or self._starts[index] >= micros(end)


def iter_slots(
    *,
    schedule: ClinicianSchedule,
    appointment_type: AppointmentType,
    first_day: date,
    last_day: date,
    now: datetime,
    window: BookingWindow,
    clinician_busy: BusyTime,
    resource_busy: Mapping[str, BusyTime],
) -> Iterator[Slot]:
    """Free slots on local dates first_day..last_day, earliest first, computed lazily: a
    search that wants the first fifty of many clinicians expands only the days it reaches.
    `find_slots` is this, all at once, from plain busy intervals."""
    require_aware(now, "now")
    if last_day < first_day:
        raise ScheduleInputError("last_day", "must not be before first_day")
    zone = schedule.zone
    earliest = now.astimezone(UTC) + window.minimum_notice
    latest = now.astimezone(UTC) + window.horizon
    # Local dates outside the window cannot hold a slot; a day of margin covers zone offsets.
    day = max(first_day, earliest.astimezone(zone).date() - timedelta(days=1))
    last_day = min(last_day, latest.astimezone(zone).date() + timedelta(days=1))
    kinds = tuple(need.kind for need in appointment_type.resource_needs)
    step = appointment_type.step
    while day <= last_day:
        for stretch_start, stretch_end in _open_stretches(schedule, day, zone):
            start = stretch_start
            while start + step <= stretch_end:
                occupied_until = start + step
                if earliest <= start < latest and clinician_busy.is_free(start, occupied_until):
                    chosen = _choose_resources(
                        appointment_type.resource_needs, resource_busy, start, occupied_until
                    )
                    if chosen is not None:
                        yield _slot(schedule, appointment_type, start, chosen, kinds)
                start = occupied_until
        day += timedelta(days=1)


def _slot(
    schedule: ClinicianSchedule,
    appointment_type: AppointmentType,
    start: datetime,
    chosen: tuple[str, ...],
    kinds: tuple[str, ...],
) -> Slot:
    return Slot(
        clinician_id=schedule.clinician_id,
        appointment_type=appointment_type.code,
        start=start,
        end=start + appointment_type.duration,
        occupied_until=start + appointment_type.step,
        resource_ids=chosen,
        time_zone=schedule.time_zone,
        resource_kinds=kinds,
    )


def window_days(*, now: datetime, window: BookingWindow, zone: ZoneInfo) -> tuple[date, date]:
    """The local dates a booking window can offer slots on: from the first bookable instant's
    date to the horizon's ("earliest available" searches exactly these)."""
    require_aware(now, "now")
    return (
        (now + window.minimum_notice).astimezone(zone).date(),
        (now + window.horizon).astimezone(zone).date(),
    )


def _iter_slots(
    *,
    schedule: ClinicianSchedule,
    appointment_type: AppointmentType,
    first_day: date,
    last_day: date,
    now: datetime,
    window: BookingWindow,
    clinician_busy: Sequence[BusyInterval],
    resource_busy: Mapping[str, Sequence[BusyInterval]],
) -> Iterator[Slot]:
    return iter_slots(
        schedule=schedule,
        appointment_type=appointment_type,
        first_day=first_day,
        last_day=last_day,
        now=now,
        window=window,
        clinician_busy=BusyTime.of(clinician_busy),
        resource_busy={rid: BusyTime.of(busy) for rid, busy in resource_busy.items()},
    )


def _choose_resources(
    needs: tuple[ResourceNeed, ...],
    resources: Mapping[str, BusyTime],
    start: datetime,
    end: datetime,
) -> tuple[str, ...] | None:
    """First free candidate per need, in declared order; None when any need cannot be met."""
    chosen: list[str] = []
    for need in needs:
        for candidate in need.candidates:
            index = resources.get(candidate)
            if candidate not in chosen and (index is None or index.is_free(start, end)):
                chosen.append(candidate)
                break
        else:
            return None
    return tuple(chosen)


def find_slots(
    *,
    schedule: ClinicianSchedule,
    appointment_type: AppointmentType,
    first_day: date,
    last_day: date,
    now: datetime,
    window: BookingWindow,
    clinician_busy: Sequence[BusyInterval] = (),
    resource_busy: Mapping[str, Sequence[BusyInterval]] | None = None,
) -> tuple[Slot, ...]:
    """Every free slot on local dates first_day..last_day (inclusive), earliest first.

    A slot is offered only if it starts at or after ``now + minimum_notice`` and before
    ``now + horizon``, and ``[start, occupied_until)`` is free for the clinician and for one
    candidate of every resource need. ``resource_busy`` maps resource id to its busy time.
    """
    return tuple(
        _iter_slots(
            schedule=schedule,
            appointment_type=appointment_type,
            first_day=first_day,
            last_day=last_day,
            now=now,
            window=window,
            clinician_busy=clinician_busy,
            resource_busy=resource_busy or {},
        )
    )


def earliest_slot(
    *,
    schedule: ClinicianSchedule,
    appointment_type: AppointmentType,
    now: datetime,
    window: BookingWindow,
    clinician_busy: Sequence[BusyInterval] = (),
    resource_busy: Mapping[str, Sequence[BusyInterval]] | None = None,
) -> Slot | None:
    """The first free slot anywhere inside the booking window, or None ("earliest available")."""
    first_day, last_day = window_days(now=now, window=window, zone=schedule.zone)
    return next(
        _iter_slots(
            schedule=schedule,
            appointment_type=appointment_type,
            first_day=first_day,
            last_day=last_day,
            now=now,
            window=window,
            clinician_busy=clinician_busy,
            resource_busy=resource_busy or {},
        ),
        None,
    )


def slot_starting_at(
    *,
    schedule: ClinicianSchedule,
    appointment_type: AppointmentType,
    start: datetime,
    now: datetime,
    window: BookingWindow,
    clinician_busy: Sequence[BusyInterval] = (),
    resource_busy: Mapping[str, Sequence[BusyInterval]] | None = None,
) -> Slot | None:
    """The free slot beginning exactly at ``start``, or None: the check before booking it.

    The database constraint still has the last word on races; this answers "is this a slot
    the rules offer at all, and is it free as far as we know". It is the slot `find_slots`
    lists at that instant, found without listing the day: a slot starts a whole number of
    steps into one of the day's open stretches (`iter_slots` lays them end to end from the
    stretch's start), which every booking checks, so it is worked out, not searched for.
    """
    require_aware(start, "start")
    require_aware(now, "now")
    wanted = start.astimezone(UTC)
    earliest = now.astimezone(UTC) + window.minimum_notice
    if not earliest <= wanted < now.astimezone(UTC) + window.horizon:
        return None
    step = appointment_type.step
    zone = schedule.zone
    for stretch_start, stretch_end in _open_stretches(
        schedule, start.astimezone(zone).date(), zone
    ):
        if stretch_start <= wanted and wanted + step <= stretch_end:
            if (wanted - stretch_start) % step:
                return None
            occupied_until = wanted + step
            if not BusyTime.of(clinician_busy).is_free(wanted, occupied_until):
                return None
            chosen = _choose_resources(
                appointment_type.resource_needs,
                {rid: BusyTime.of(busy) for rid, busy in (resource_busy or {}).items()},
                wanted,
                occupied_until,
            )
            if chosen is None:
                return None
            kinds = tuple(need.kind for need in appointment_type.resource_needs)
            return _slot(schedule, appointment_type, wanted, chosen, kinds)
    return None
