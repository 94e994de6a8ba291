"""Slot search: free slots by specialty, clinician, appointment type and date range, and the
earliest available one. Read-only.

However many clinicians a search covers, it costs one statement for who offers what and one
per span of dates for every rule and busy interval in it (`rota`). Spans are a week, then
doubling, and read only while the search still needs slots (`spans`): the first fifty slots of
fifty clinicians are two statements, all ninety days five, never one per clinician or per day.
The slots are expanded in memory, lazily and merged earliest first. The answer is the one the
per-clinician rules give (`availability`); a property test holds the two side by side.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from plexcare.clinic import repository as clinic_repository
from plexcare.clinic import service as clinic
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.errors import InvalidInput, NotFound
from plexcare.scheduling import availability, closures, rota

MAX_SEARCH_DAYS = 62

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class FoundSlot:
    clinician: Clinician
    appointment_type: AppointmentType
    slot: availability.Slot


@dataclass(frozen=True)
class _Offer:
    """One clinician and one type they offer, as availability sees the type."""

    clinician: Clinician
    appointment_type: AppointmentType
    kind: availability.AppointmentType
    window: availability.BookingWindow


def _offers(
    *,
    session: Session,
    specialty: str | None,
    clinician_id: int | None,
    appointment_type_id: int | None,
) -> list[_Offer]:
    """Every matching (clinician, offered type), by clinician then type; a named clinician or
    type that does not exist is a 404 naming its field (asked only when nothing matched)."""
    rows = rota.offers(
        session=session,
        specialty=specialty,
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
    )
    if not rows:
        if (
            clinician_id is not None
            and clinic_repository.clinician(session=session, clinician_id=clinician_id) is None
        ):
            raise NotFound("no such clinician", field="clinician_id")
        if (
            appointment_type_id is not None
            and clinic_repository.appointment_type(
                session=session, appointment_type_id=appointment_type_id
            )
            is None
        ):
            raise NotFound("no such appointment type", field="appointment_type_id")
        return []
    found = []
    for _, group in itertools.groupby(rows, key=lambda row: (row[0].id, row[1].id)):
        pair = list(group)
        person, kind = pair[0][0], pair[0][1]
        needs = [(resource_kind, rid) for *_, resource_kind, rid in pair if resource_kind]
        found.append(
            _Offer(
                clinician=person,
                appointment_type=kind,
                kind=clinic.appointment_type_needing(kind, needs),
                window=clinic.booking_window(kind),
            )
        )
    return found


def _resource_ids(offers: Iterable[_Offer]) -> list[int]:
    return sorted(
        {
            int(rid)
            for offer in offers
            for need in offer.kind.resource_needs
            for rid in need.candidates
        }
    )


class _Expansion:
    """The rota of one search turned into schedules and busy time, each built once and shared
    by every appointment type of the same clinician or resource."""

    def __init__(self, *, found: rota.Rota, zone: str, first_day: date, last_day: date) -> None:
        self._rota = found
        self._zone = zone
        closed = closures.closed_given(
            first_day=first_day, last_day=last_day, open_by_day=found.open_by_day
        )
        self.schedules = {
            clinician_id: rota.schedule_of(clinician_id, time_of, zone, closed)
            for clinician_id, time_of in found.clinicians.items()
        }
        self._busy: dict[tuple[str, int, datetime | None], availability.BusyTime] = {}

    def clinician_busy(self, clinician_id: int, until: datetime | None) -> availability.BusyTime:
        return self._cached(
            ("clinician", clinician_id, until), self._rota.clinicians[clinician_id].busy
        )

    def resource_busy(
        self, offer: _Offer, until: datetime | None
    ) -> dict[str, availability.BusyTime]:
        return {
            rid: self._cached(("resource", int(rid), until), self._rota.resource_busy[int(rid)])
            for need in offer.kind.resource_needs
            for rid in need.candidates
        }

    def _cached(
        self, key: tuple[str, int, datetime | None], joined: Sequence[str]
    ) -> availability.BusyTime:
        """The owner's busy time; with a cut-off (`key[2]`), only what starts before it, as the
        per-offer read of the earliest search saw it."""
        index = self._busy.get(key)
        if index is None:
            intervals = rota.busy_micros(joined)
            if key[2] is not None:
                intervals = intervals[intervals[:, 0] < availability.micros(key[2])]
            index = self._busy[key] = availability.BusyTime(intervals)
        return index


def _found(offer: _Offer, slots: Iterator[availability.Slot]) -> Iterator[FoundSlot]:
    for slot in slots:
        yield FoundSlot(
            clinician=offer.clinician, appointment_type=offer.appointment_type, slot=slot
        )


def _order(item: FoundSlot) -> tuple[datetime, int, int]:
    return (item.slot.start, item.clinician.id, item.appointment_type.id)


def search(
    *,
    session: Session,
    now: datetime,
    first_day: date,
    last_day: date,
    specialty: str | None = None,
    clinician_id: int | None = None,
    appointment_type_id: int | None = None,
    limit: int = 50,
) -> list[FoundSlot]:
    """Free slots on local dates first_day..last_day, earliest first."""
    if last_day < first_day:
        raise InvalidInput("must not be before from_date", field="to_date")
    if (last_day - first_day).days > MAX_SEARCH_DAYS:
        raise InvalidInput(f"search at most {MAX_SEARCH_DAYS} days at once", field="to_date")
    return slots_between(
        session=session,
        now=now,
        first_day=first_day,
        last_day=last_day,
        specialty=specialty,
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
        limit=limit,
    )


FIRST_SPAN_DAYS = 7
"""The calendar is read a week first, then spans doubling (7, 14, 28, 56 … days) only while
the search still needs slots: ninety days of a busy clinic are ~30,000 appointments, and
reading them costs more than everything else a search does, so a search that finds its
fifty slots in the first week reads only that week. A slot of one local day depends only on
that day's rules and on busy time within a day either side, so reading by spans gives the
same answer as reading everything at once."""


def spans(first_day: date, last_day: date) -> Iterator[tuple[date, date]]:
    """first_day..last_day cut into spans of 7, 14, 28 … days, in date order."""
    length = FIRST_SPAN_DAYS
    while first_day <= last_day:
        end = min(last_day, first_day + timedelta(days=length - 1))
        yield first_day, end
        first_day = end + _DAY
        length *= 2


def _expansion(
    *, session: Session, now: datetime, offers: list[_Offer], first_day: date, last_day: date
) -> _Expansion:
    """One calendar read covering the slots of local dates first_day..last_day."""
    zone = get_settings().clinic_timezone
    found = rota.calendar(
        session=session,
        clinician_ids=sorted({offer.clinician.id for offer in offers}),
        resource_ids=_resource_ids(offers),
        first_day=first_day - _DAY,
        last_day=last_day + _DAY,
        start=datetime.combine(first_day, time(0), tzinfo=UTC) - _DAY,
        end=datetime.combine(last_day, time(0), tzinfo=UTC) + 2 * _DAY,
        now=now,
    )
    return _Expansion(found=found, zone=zone, first_day=first_day - _DAY, last_day=last_day + _DAY)


def slots_between(
    *,
    session: Session,
    now: datetime,
    first_day: date,
    last_day: date,
    specialty: str | None = None,
    clinician_id: int | None = None,
    appointment_type_id: int | None = None,
    limit: int = 50,
) -> list[FoundSlot]:
    """`search` without its limit on the span of dates (the API's guard, not the engine's):
    what the benchmark runs over ninety days."""
    offers = _offers(
        session=session,
        specialty=specialty,
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
    )
    found: list[FoundSlot] = []
    if not offers:
        return found
    for span_first, span_last in spans(first_day, last_day):
        if len(found) >= limit:
            break
        expansion = _expansion(
            session=session, now=now, offers=offers, first_day=span_first, last_day=span_last
        )
        streams = [
            _found(
                offer,
                availability.iter_slots(
                    schedule=expansion.schedules[offer.clinician.id],
                    appointment_type=offer.kind,
                    first_day=span_first,
                    last_day=span_last,
                    now=now,
                    window=offer.window,
                    clinician_busy=expansion.clinician_busy(offer.clinician.id, None),
                    resource_busy=expansion.resource_busy(offer, None),
                ),
            )
            for offer in offers
        ]
        # Every slot of a span starts before every slot of the next: spans simply follow.
        found.extend(itertools.islice(heapq.merge(*streams, key=_order), limit - len(found)))
    return found


def _first_of_each(
    *, session: Session, now: datetime, offers: list[_Offer]
) -> list[FoundSlot | None]:
    """The first free slot of each offer in its own booking window, reading span by span
    until every offer has its slot or its window ends; each offer sees only the busy time its
    own window's read reached (`until`), as when each was searched alone."""
    local = ZoneInfo(get_settings().clinic_timezone)
    windows = [
        availability.window_days(now=now, window=offer.window, zone=local) for offer in offers
    ]
    firsts: list[FoundSlot | None] = [None] * len(offers)
    waiting = set(range(len(offers)))
    for span_first, span_last in spans(
        min(days[0] for days in windows), max(days[1] for days in windows)
    ):
        waiting = {number for number in waiting if windows[number][1] >= span_first}
        if not waiting:
            break
        # Later spans read only the clinicians still without a slot.
        expansion = _expansion(
            session=session,
            now=now,
            offers=[offers[number] for number in sorted(waiting)],
            first_day=span_first,
            last_day=span_last,
        )
        for number in sorted(waiting):
            offer, days = offers[number], windows[number]
            if days[0] > span_last:
                continue
            until = now + offer.window.horizon + _DAY
            slot = next(
                availability.iter_slots(
                    schedule=expansion.schedules[offer.clinician.id],
                    appointment_type=offer.kind,
                    first_day=max(days[0], span_first),
                    last_day=min(days[1], span_last),
                    now=now,
                    window=offer.window,
                    clinician_busy=expansion.clinician_busy(offer.clinician.id, until),
                    resource_busy=expansion.resource_busy(offer, until),
                ),
                None,
            )
            if slot is not None:
                firsts[number] = FoundSlot(
                    clinician=offer.clinician, appointment_type=offer.appointment_type, slot=slot
                )
                waiting.discard(number)
    return firsts


def earliest(
    *,
    session: Session,
    now: datetime,
    specialty: str | None = None,
    clinician_id: int | None = None,
    appointment_type_id: int | None = None,
) -> FoundSlot | None:
    """The first free slot anywhere in the booking window ("earliest available")."""
    offers = _offers(
        session=session,
        specialty=specialty,
        clinician_id=clinician_id,
        appointment_type_id=appointment_type_id,
    )
    best: FoundSlot | None = None
    for first in _first_of_each(session=session, now=now, offers=offers) if offers else []:
        if first is not None and (best is None or first.slot.start < best.slot.start):
            best = first
    return best


def earliest_by_clinician(
    *, session: Session, now: datetime, specialty: str | None = None
) -> dict[int, FoundSlot]:
    """Each clinician's first free slot of any type they offer (clinician id -> slot; none for
    a clinician with nothing free): what the specialists page shows, in one search for all of
    them instead of one per profile."""
    offers = _offers(
        session=session, specialty=specialty, clinician_id=None, appointment_type_id=None
    )
    best: dict[int, FoundSlot] = {}
    for first in _first_of_each(session=session, now=now, offers=offers) if offers else []:
        if first is None:
            continue
        known = best.get(first.clinician.id)
        if known is None or first.slot.start < known.slot.start:
            best[first.clinician.id] = first
    return best
