"""Fit every appointment of a health package into one itinerary, or say it cannot be done.

A package is booked whole: a diagnostic package with a consultation but no EMG would leave
the patient with half a work-up. So the planner either places every included item, in the
package's order and with its spacing rules, or answers ``None``; the booking service then
holds all the chosen slots in one transaction (all or none is enforced there, by the database).

The search is a depth-first walk over each item's candidate slots in time order, so the first
complete itinerary it finds is the earliest one: the first appointment as early as possible,
then the second as early as possible given the first, and so on. Spacing rules only link an
item to the one before it, so "item *i* in slot *s* cannot be completed" is true whatever came
before; remembering those dead ends keeps the search polynomial even with many slots.

Pure and deterministic: no clock (``not_before`` comes in), no database, ties broken by the
order the caller gave.

Usage::

    from plexcare.packages.catalogue import PLEXOPATHY_DIAGNOSTIC
    from plexcare.packages.itinerary import plan_package_itinerary

    chosen = plan_package_itinerary(
        PLEXOPATHY_DIAGNOSTIC.items,
        {"new_consultation": consultation_slots, "emg_ncs": emg_slots, "mri_review": mri_slots},
        time_zone="Europe/London",
        not_before=now + timedelta(hours=24),
    )
    if chosen is None:
        raise Conflict("this package cannot be fitted into the coming weeks")
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "CandidateSlot",
    "PackageItem",
    "SlotLike",
    "plan_package_itinerary",
]


class SlotLike(Protocol):
    """Anything with a start and an end: `scheduling.availability.Slot` fits as it is.

    A slot that also has ``occupied_until`` (the end plus the room's or clinician's buffer)
    keeps the next item from starting before it, so no two chosen slots ever hold the same
    clinician or room at once, even when both are with the same person.
    """

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


SlotT = TypeVar("SlotT", bound=SlotLike)


@dataclass(frozen=True)
class CandidateSlot:
    """A plain bookable slot, for callers that do not carry a scheduling `Slot`."""

    start: datetime
    end: datetime
    reference: str = ""


@dataclass(frozen=True)
class PackageItem:
    """One appointment a package includes, and how it must sit after the item before it.

    ``min_gap_after_previous`` is measured from the end of the previous appointment to the
    start of this one (e.g. 15 minutes to walk to the EMG room). ``max_days_after_previous``
    counts calendar days in the clinic's zone between the two starts: 0 means the same day,
    3 means the same day or up to three days later; ``None`` means no upper limit.
    """

    appointment_type: str
    name: str
    duration: timedelta
    min_gap_after_previous: timedelta = timedelta(0)
    max_days_after_previous: int | None = None

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError(f"{self.appointment_type}: duration must be positive")
        if self.min_gap_after_previous < timedelta(0):
            raise ValueError(f"{self.appointment_type}: a gap cannot be negative")
        if self.max_days_after_previous is not None and self.max_days_after_previous < 0:
            raise ValueError(f"{self.appointment_type}: max_days_after_previous must be >= 0")


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown IANA time zone {time_zone!r}") from error


def _busy_until(slot: SlotLike) -> datetime:
    occupied = getattr(slot, "occupied_until", None)
    return occupied if isinstance(occupied, datetime) else slot.end


def _usable(slots: Sequence[SlotT], item: PackageItem, not_before: datetime | None) -> list[SlotT]:
    """The item's slots in time order: long enough, not too early, well formed."""
    usable: list[SlotT] = []
    for slot in slots:
        if slot.start.tzinfo is None or slot.end.tzinfo is None:
            raise ValueError(f"{item.appointment_type}: slots need time-zone-aware datetimes")
        if slot.end - slot.start < item.duration:
            continue
        if not_before is not None and slot.start < not_before:
            continue
        usable.append(slot)
    return sorted(usable, key=lambda s: (s.start, s.end))  # stable: caller's order breaks ties


@dataclass
class _Search(Generic[SlotT]):
    items: Sequence[PackageItem]
    slots: list[list[SlotT]]
    starts: list[list[datetime]]
    zone: ZoneInfo
    dead_ends: set[tuple[int, int]]

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def follow(self, index: int, previous: SlotT) -> list[SlotT] | None:
        """The earliest way to place items `index`… after `previous`, or None."""
        if index == len(self.items):
            return []
        item = self.items[index]
        earliest = max(previous.end + item.min_gap_after_previous, _busy_until(previous))
        last_day: date | None = None
        if item.max_days_after_previous is not None:
            last_day = self.local_day(previous.start) + timedelta(days=item.max_days_after_previous)
        position = bisect.bisect_left(self.starts[index], earliest)
        for offset, slot in enumerate(self.slots[index][position:], start=position):
            if last_day is not None and self.local_day(slot.start) > last_day:
                break
            rest = self.place(index, offset, slot)
            if rest is not None:
                return rest
        return None

    def place(self, index: int, offset: int, slot: SlotT) -> list[SlotT] | None:
        if (index, offset) in self.dead_ends:
            return None
        rest = self.follow(index + 1, slot)
        if rest is None:
            self.dead_ends.add((index, offset))
            return None
        return [slot, *rest]


def plan_package_itinerary(
    items: Sequence[PackageItem],
    candidate_slots_by_type: Mapping[str, Sequence[SlotT]],
    *,
    time_zone: str = "Europe/London",
    not_before: datetime | None = None,
) -> tuple[SlotT, ...] | None:
    """One slot per item, in the items' order and spacing, earliest first; else ``None``.

    Chosen slots never overlap: each starts at or after the previous end plus its gap, and
    after the previous slot's ``occupied_until`` where it has one. Slots shorter than an
    item's duration, or starting before `not_before`, are not used. The returned slots are
    the caller's own objects, in the order of `items`.
    """
    if not items:
        return ()
    if not_before is not None and not_before.tzinfo is None:
        raise ValueError("not_before must be time-zone-aware")
    slots = [
        _usable(candidate_slots_by_type.get(item.appointment_type, ()), item, not_before)
        for item in items
    ]
    search = _Search(
        items=items,
        slots=slots,
        starts=[[slot.start for slot in group] for group in slots],
        zone=_zone(time_zone),
        dead_ends=set(),
    )
    for offset, first in enumerate(slots[0]):
        chosen = search.place(0, offset, first)
        if chosen is not None:
            return tuple(chosen)
    return None
