"""A patient booking a free slot for themselves, on PostgreSQL, in one round trip.

Most bookings are the plain case: a patient, a slot the rules offer, nobody else on it. That
case is answered here, on the event loop, with asyncpg's prepared statements, and every other
case is left to the full booking (`service.book`), which gives each refusal its precise answer.
This path decides nothing the full one would decide differently:

- the slot is checked with the same rules (`rota.schedule_of`, `closures.closed_given`,
  `availability.slot_starting_at`, the type's booking window) for that one local day. A
  clinician's rules for the months ahead are read once and remembered (`RulesMemory`) with
  the version they were read at (migration 0013); the write refuses a remembered version that
  is no longer current, and the rules are then read again and the slot checked again, so no
  booking is judged by rules older than the moment its write began, as when they were read
  before every write;
- busy time is not read: the clinician's time is claimed by inserting the reservation, and the
  exclusion constraint refuses an overlap however close together two requests arrive;
- the write takes the patient's turn first, as the full path does, so the limit on open
  appointments and the rule of one appointment at a time count every booking of theirs before
  this one; it writes the appointment with its audit entry, its confirmation and reminder
  messages and the idempotency record, all or nothing (`plexcare_book_appointment`, migrations
  0011 to 0013), alone or with the bookings arriving at the same moment (`booking_rounds`);
- a patient with any missed appointment is left to the full booking, which judges the pause
  that may follow them, and so is a patient holding a slot, whose hold it turns into the
  appointment.

Whenever this path cannot book cleanly (a patient with missed appointments or a hold, a type
that needs rooms or machines, a time the rules do not offer, a lost race, a lapsed hold still
reserving the slot, a retried idempotency key, the limit), it has written nothing
and answers None, and the caller runs the full booking, which answers as it always has.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from plexcare.clinic import service as clinic
from plexcare.notifications.outbox import CHANNELS, REMINDER_LEAD
from plexcare.postgres_pools import PostgresPools
from plexcare.scheduling import availability, booking_rounds, closures, policy, rota
from plexcare.scheduling.schemas import AppointmentOut

TRIED = "quick_booking_tried"
"""Set in a request's state once the quick booking was tried (`quick_booking_route`), so the
route behind goes straight to the full booking rather than try the same write again."""
UNREACHABLE = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.InternalClientError)
UNREACHABLE_SQLSTATE_CLASSES = frozenset({"08", "57"})
"""The database could not be reached, the connection broke (class 08), or an operator ended it
(57: a restart, `pg_terminate_backend`): the full path answers, as it answers any request then
(a 503 while the database is away, or the booking once it is back). A write whose answer was
lost is then refused as taken by itself, or, sent with an `Idempotency-Key`, answered from its
stored record."""

_RULES_OF_DAYS = """
SELECT 'session', clinician_id, weekday, NULL::date, NULL::date, starts, ends,
       NULL::text, NULL::boolean
FROM weekly_hours WHERE clinician_id = $1
UNION ALL
SELECT 'break', clinician_id, weekday, NULL::date, NULL::date, starts, ends,
       NULL::text, NULL::boolean
FROM weekly_breaks WHERE clinician_id = $1
UNION ALL
SELECT kind, clinician_id, NULL::smallint, first_day, last_day, starts, ends,
       NULL::text, NULL::boolean
FROM availability_exceptions WHERE clinician_id = $1 AND first_day <= $4 AND last_day >= $3
UNION ALL
SELECT 'clinic_day', NULL::integer, NULL::smallint, day, NULL::date, NULL::time, NULL::time,
       NULL::text, is_open
FROM clinic_days WHERE day BETWEEN $3 AND $4
"""
"""The clinician's weekly hours and breaks, their leave and extra sessions touching the days
from $3 to $4, and the clinic's own departures from its holiday calendar on those days:
`rota`'s rows."""

_READ_RULES = f"""
SELECT
    coalesce((SELECT version FROM booking_rules_version WHERE id = 1), 0),
    (SELECT ROW(t.code, t.duration_minutes, t.buffer_minutes, t.minimum_notice_minutes,
                t.horizon_days,
                EXISTS (SELECT 1 FROM clinician_appointment_types o
                        WHERE o.clinician_id = $1 AND o.appointment_type_id = t.id),
                EXISTS (SELECT 1 FROM appointment_type_resource_kinds n
                        WHERE n.appointment_type_id = t.id))
     FROM appointment_types t
     WHERE t.id = $2 AND EXISTS (SELECT 1 FROM clinicians c WHERE c.id = $1)),
    ARRAY(SELECT ROW(rules.*) FROM ({_RULES_OF_DAYS}) AS rules)
"""
"""One statement, one row, in one snapshot: the rules' version, the appointment type with
whether the clinician offers it and whether it needs rooms or machines (choosing one is the
full path's work; no type when the clinician or the type does not exist), and the rules of the
days from $3 to $4."""

STALE_RULES = -1
"""The rules were remembered at a version that is no longer current."""
REFUSED = 0
"""Not a patient's account, a patient with missed appointments or a hold, or the limit
reached."""
PLACEHOLDER_ID = '{"id":0,'
"""How the answer the write is given begins: the function puts the new id in its place."""


@dataclass(frozen=True)
class BookingAsked:
    """What the patient asked for, as the route validated it."""

    patient_id: int
    clinician_id: int
    appointment_type_id: int
    starts_at: datetime
    client_ip: str | None
    idempotency_key: str | None
    fingerprint: str
    open_limit: int


@dataclass(frozen=True)
class _TypeTimes:
    """The appointment type as the read gives it (`clinic.TypeTimes`)."""

    code: str
    duration_minutes: int
    buffer_minutes: int
    minimum_notice_minutes: int
    horizon_days: int


@dataclass(frozen=True)
class Booked:
    appointment_id: int
    answer_json: str
    """The answer, serialized once for the patient and the idempotency record alike."""


RULES_SPAN = timedelta(days=120)
"""How far ahead of the day asked for the rules are read: past the usual booking horizon (90
days), so a clinician's rules are read once for every day patients may book."""


@dataclass(frozen=True)
class WorkedOut:
    """What checking a slot needs from remembered rules that is the same on every day: the
    clinic's departures from its holiday calendar, the clinician's schedule with no day
    closed, and the appointment type with its booking window. Built for every booking, they
    took some 45 µs of its 0.7 to 0.9 ms of app CPU (`bench.booking`; timed alone, checking
    a slot went from about 105 µs to 32), for rules that change a few times a day."""

    open_by_day: Mapping[date, bool]
    schedule: availability.ClinicianSchedule
    appointment_type: availability.AppointmentType
    window: availability.BookingWindow


@dataclass(frozen=True)
class RememberedRules:
    """A clinician's rules for one appointment type over `RULES_SPAN` from `first_day`, as
    `_READ_RULES` gave them, and the version they were read at; with what was worked out
    from them, by zone (`worked_out`), which lives and dies with them."""

    version: int
    target: Sequence[Any] | None
    rules: Sequence[Sequence[Any]]
    first_day: date
    worked: dict[str, WorkedOut] = field(default_factory=dict, compare=False, repr=False)

    def cover(self, day: date) -> bool:
        return self.first_day <= day <= self.first_day + RULES_SPAN

    def worked_out(self, clinician_id: int, zone: str) -> WorkedOut:
        """`WorkedOut` of these rules for their clinician, worked out on first use in `zone`
        (only for rules that found the appointment type: `_book_on` checks)."""
        made = self.worked.get(zone)
        if made is None:
            assert self.target is not None
            kind = _TypeTimes(*self.target[:5])
            found = rota.from_rows(self.rules, clinician_ids=[clinician_id], resource_ids=[])
            made = self.worked[zone] = WorkedOut(
                open_by_day=found.open_by_day,
                schedule=rota.schedule_of(
                    clinician_id, found.clinicians[clinician_id], zone, frozenset()
                ),
                appointment_type=clinic.appointment_type_needing(kind, []),
                window=clinic.booking_window(kind),
            )
        return made


RulesKey = tuple[int, int]
"""(clinician, appointment type)."""
MOST_REMEMBERED = 10_000
"""Beyond this many, the memory is emptied and refilled: a bound on memory."""


class RulesMemory:
    """The rules of the clinicians booked lately, in one app process. Stale entries are
    harmless: the write refuses their version, and then everything remembered is forgotten,
    since one change of version may stand for a change to anyone's rules."""

    def __init__(self) -> None:
        self._rules: dict[RulesKey, RememberedRules] = {}

    def recall(self, key: RulesKey, day: date) -> RememberedRules | None:
        found = self._rules.get(key)
        return found if found is not None and found.cover(day) else None

    def remember(self, key: RulesKey, rules: RememberedRules) -> None:
        if len(self._rules) >= MOST_REMEMBERED:
            self._rules.clear()
        self._rules[key] = rules

    def forget_all(self) -> None:
        self._rules.clear()


def _offered_slot(
    *,
    remembered: RememberedRules,
    asked: BookingAsked,
    day: date,
    zone: str,
    now: datetime,
) -> availability.Slot | None:
    """The slot the rules offer at the asked start on its local day, ignoring busy time (the
    reservation's constraint decides that); None when they offer none there."""
    made = remembered.worked_out(asked.clinician_id, zone)
    closed = closures.closed_given(first_day=day, last_day=day, open_by_day=made.open_by_day)
    schedule = replace(made.schedule, closed_days=closed) if closed else made.schedule
    return availability.slot_starting_at(
        schedule=schedule,
        appointment_type=made.appointment_type,
        start=asked.starts_at,
        now=now,
        window=made.window,
    )


def _answer(uid: str, asked: BookingAsked, slot: availability.Slot, zone: str) -> str:
    """The answer before the appointment has its id: it begins with `PLACEHOLDER_ID`, since
    `id` is `AppointmentOut`'s first field."""
    return AppointmentOut.model_validate(
        {
            "id": 0,
            "uid": uid,
            "patient_id": asked.patient_id,
            "clinician_id": asked.clinician_id,
            "appointment_type_id": asked.appointment_type_id,
            "starts_at": slot.start,
            "ends_at": slot.end,
            "local_start": slot.start.astimezone(ZoneInfo(zone)),
            "time_zone": zone,
            "status": policy.AppointmentStatus.BOOKED.value,
            "sequence": 0,
            "rescheduled_to_id": None,
            "strike": False,
        }
    ).model_dump_json()


def with_id(answer: str, appointment_id: int) -> str:
    """The answer written with `PLACEHOLDER_ID`, with the new appointment's id in its place, as
    the write function stores it for the idempotency key."""
    return f'{{"id":{appointment_id},' + answer[len(PLACEHOLDER_ID) :]


class _LeaveToFullBooking(Exception):
    """Nothing was written; the full booking answers instead."""


async def book(
    *,
    pools: PostgresPools,
    memory: RulesMemory,
    rounds: booking_rounds.BookingRounds,
    asked: BookingAsked,
    now: datetime,
    zone: str,
) -> Booked | None:
    """The booking, committed; or None, with nothing written, for the full booking to answer.

    One write (`booking_rounds`, which may send it with others arriving at the same moment)
    when the clinician's rules are remembered at the current version; the read of the rules
    and the write, each its own transaction, when they are not. Nothing is locked across the
    round trip between them, and the write stands or falls whole."""
    day = asked.starts_at.astimezone(ZoneInfo(zone)).date()
    try:
        return await _book(pools, rounds, memory=memory, asked=asked, now=now, zone=zone, day=day)
    except (_LeaveToFullBooking, *UNREACHABLE):
        return None
    except asyncpg.PostgresError as error:
        state = booking_rounds.sqlstate_of(error)
        if state in booking_rounds.CLASH_SQLSTATES or state[:2] in UNREACHABLE_SQLSTATE_CLASSES:
            return None
        raise


async def _book(
    pools: PostgresPools,
    rounds: booking_rounds.BookingRounds,
    *,
    memory: RulesMemory,
    asked: BookingAsked,
    now: datetime,
    zone: str,
    day: date,
) -> Booked:
    key = (asked.clinician_id, asked.appointment_type_id)
    remembered = memory.recall(key, day)
    for _ in range(2):
        if remembered is None:
            remembered = await _read_rules(pools, key, day)
            memory.remember(key, remembered)
        target = remembered.target
        if target is None or not target[5] or target[6]:
            raise _LeaveToFullBooking
        slot = _offered_slot(remembered=remembered, asked=asked, day=day, zone=zone, now=now)
        if slot is None:
            raise _LeaveToFullBooking
        uid = uuid.uuid4().hex
        answer = _answer(uid, asked, slot, zone)
        booked = await rounds.write(
            pools,
            booking_rounds.Write(
                rules_version=remembered.version,
                uid=uid,
                patient_id=asked.patient_id,
                clinician_id=asked.clinician_id,
                appointment_type_id=asked.appointment_type_id,
                starts_at=slot.start,
                ends_at=slot.end,
                blocked_until=slot.occupied_until,
                now=now,
                open_limit=asked.open_limit,
                client_ip=asked.client_ip,
                reminder_due=max(now, slot.start - REMINDER_LEAD),
                channels=CHANNELS,
                idempotency_key=asked.idempotency_key,
                fingerprint=asked.fingerprint,
                answer=answer,
            ),
        )
        if booked == STALE_RULES:
            memory.forget_all()
            remembered = None
            continue
        if booked == REFUSED:
            raise _LeaveToFullBooking
        return Booked(appointment_id=booked, answer_json=with_id(answer, booked))
    raise _LeaveToFullBooking


async def _read_rules(pools: PostgresPools, key: RulesKey, first_day: date) -> RememberedRules:
    pool = await pools.pool()
    async with pool.acquire() as connection:
        version, target, rules = await connection.fetchrow(
            _READ_RULES, *key, first_day, first_day + RULES_SPAN
        )
    return RememberedRules(version=version, target=target, rules=rules, first_day=first_day)
