"""A patient booking a free slot for themselves, on PostgreSQL, in two round trips.

Most bookings are the plain case: a patient, a slot the rules offer, nobody else on it. That
case is answered here, on the event loop, with asyncpg's prepared statements, and every other
case is left to the full booking (`service.book`), which gives each refusal its precise answer.
This path decides nothing the full one would decide differently:

- the slot is checked with the same rules (`rota.schedule_of`, `closures.closed_given`,
  `availability.slot_starting_at`, the type's booking window), read for that one local day;
- busy time is not read: the clinician's time is claimed by inserting the reservation, and the
  exclusion constraint refuses an overlap however close together two requests arrive;
- the write takes the patient's turn first, as the full path does, so the limit on open
  appointments and the rule of one appointment at a time count every booking of theirs before
  this one; it writes the appointment with its audit entry, its confirmation and reminder
  messages and the idempotency record, all or nothing (`plexcare_book_appointment`, migration
  0011);
- the pause after missed appointments is judged from the read, before the turn: bookings never
  add to it, and a late cancellation made at the same instant is not counted for that one
  booking on either path (cancelling does not take the patient's turn).

Whenever this path cannot book cleanly (the patient's pause after missed appointments, a type
that needs rooms or machines, a time the rules do not offer, a lost race, their own hold on the
slot, a lapsed hold still reserving it, a retried idempotency key, the limit), it has written
nothing and answers None, and the caller runs the full booking, which answers as it always has.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from plexcare.clinic import service as clinic
from plexcare.notifications.outbox import CHANNELS, REMINDER_LEAD
from plexcare.postgres_pools import PostgresPools
from plexcare.scheduling import availability, closures, policy, rota
from plexcare.scheduling.schemas import AppointmentOut

NO_SHOW_POLICY = policy.NoShowPolicy()
UNREACHABLE = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.InternalClientError)
UNREACHABLE_SQLSTATE_CLASSES = frozenset({"08", "57"})
"""The database could not be reached, the connection broke (class 08), or an operator ended it
(57: a restart, `pg_terminate_backend`): the full path answers, as it answers any request then
(a 503 while the database is away, or the booking once it is back). A write whose answer was
lost is then refused as taken by itself, or, sent with an `Idempotency-Key`, answered from its
stored record."""
RETRY_IN_FULL_SQLSTATES = frozenset({"23P01", "23505", "40P01", "40001"})
"""Exclusion (the time is taken, or still reserved by a hold, or the patient is busy then), a
unique key (the idempotency key was used before), deadlock and serialization failure: the full
booking decides these and names them."""

_RULES_OF_DAY = """
SELECT 'session', clinician_id, weekday, NULL::date, NULL::date, starts, ends,
       NULL::text, NULL::boolean
FROM weekly_hours WHERE clinician_id = $2
UNION ALL
SELECT 'break', clinician_id, weekday, NULL::date, NULL::date, starts, ends,
       NULL::text, NULL::boolean
FROM weekly_breaks WHERE clinician_id = $2
UNION ALL
SELECT kind, clinician_id, NULL::smallint, first_day, last_day, starts, ends,
       NULL::text, NULL::boolean
FROM availability_exceptions WHERE clinician_id = $2 AND first_day <= $4 AND last_day >= $4
UNION ALL
SELECT 'clinic_day', NULL::integer, NULL::smallint, day, NULL::date, NULL::time, NULL::time,
       NULL::text, is_open
FROM clinic_days WHERE day = $4
"""
"""The clinician's weekly hours and breaks, their leave and extra sessions touching the day, and
the clinic's own departure from its holiday calendar that day: `rota`'s rows, for one day."""

_READ = f"""
SELECT
    nextval(pg_get_serial_sequence('appointments', 'id')),
    ARRAY(SELECT starts_at FROM appointments WHERE patient_id = $1 AND strike),
    (SELECT ROW(t.code, t.duration_minutes, t.buffer_minutes, t.minimum_notice_minutes,
                t.horizon_days,
                EXISTS (SELECT 1 FROM clinician_appointment_types o
                        WHERE o.clinician_id = $2 AND o.appointment_type_id = t.id),
                EXISTS (SELECT 1 FROM appointment_type_resource_kinds n
                        WHERE n.appointment_type_id = t.id))
     FROM appointment_types t
     WHERE t.id = $3 AND EXISTS (SELECT 1 FROM clinicians c WHERE c.id = $2)),
    ARRAY(SELECT ROW(rules.*) FROM ({_RULES_OF_DAY}) AS rules)
FROM users WHERE id = $1 AND role = 'patient'
"""
"""One statement, one row: the new appointment's id (the answer and the idempotency record are
written with it), the patient's missed appointments, the appointment type with whether the
clinician offers it and whether it needs rooms or machines (choosing one is the full path's
work), and the rules of the day. No row when the account is not a patient's."""

_BOOK = "SELECT plexcare_book_appointment(" + ", ".join(f"${n}" for n in range(1, 17)) + ")"
"""The write, in one round trip (migration 0011 holds the function and says why it is one):
the patient's turn taken, their own rules checked as of that moment, then the reservation, the
appointment, its audit entry, the confirmation and reminder on every channel and the answer
under the idempotency key. False, with nothing written, when the patient's rules refuse."""


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


def _offered_slot(
    *,
    target: Sequence[Any],
    rules: Sequence[Sequence[Any]],
    asked: BookingAsked,
    day: date,
    zone: str,
    now: datetime,
) -> availability.Slot | None:
    """The slot the rules offer at the asked start on its local day, ignoring busy time (the
    reservation's constraint decides that); None when they offer none there."""
    kind = _TypeTimes(*target[:5])
    found = rota.from_rows(rules, clinician_ids=[asked.clinician_id], resource_ids=[])
    closed = closures.closed_given(first_day=day, last_day=day, open_by_day=found.open_by_day)
    time_of = found.clinicians[asked.clinician_id]
    return availability.slot_starting_at(
        schedule=rota.schedule_of(asked.clinician_id, time_of, zone, closed),
        appointment_type=clinic.appointment_type_needing(kind, []),
        start=asked.starts_at,
        now=now,
        window=clinic.booking_window(kind),
    )


def _answer(
    appointment_id: int, uid: str, asked: BookingAsked, slot: availability.Slot, zone: str
) -> str:
    return AppointmentOut.model_validate(
        {
            "id": appointment_id,
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


class _LeaveToFullBooking(Exception):
    """Nothing was written; the full booking answers instead."""


async def book(
    *, pools: PostgresPools, asked: BookingAsked, now: datetime, zone: str
) -> Booked | None:
    """The booking, committed; or None, with nothing written, for the full booking to answer.

    Two statements, each its own transaction: the read, then the write, which holds the
    patient's turn while it checks their rules and writes. Nothing is locked across the round
    trip between them, and the write stands or falls whole."""
    day = asked.starts_at.astimezone(ZoneInfo(zone)).date()
    try:
        pool = await pools.pool()
        async with pool.acquire() as connection:
            return await _book_on(connection, asked=asked, now=now, zone=zone, day=day)
    except (_LeaveToFullBooking, *UNREACHABLE):
        return None
    except asyncpg.PostgresError as error:
        state = str(getattr(error, "sqlstate", "") or "")
        if state in RETRY_IN_FULL_SQLSTATES or state[:2] in UNREACHABLE_SQLSTATE_CLASSES:
            return None
        raise


async def _book_on(
    connection: asyncpg.Connection, *, asked: BookingAsked, now: datetime, zone: str, day: date
) -> Booked:
    read = await connection.fetchrow(
        _READ, asked.patient_id, asked.clinician_id, asked.appointment_type_id, day
    )
    if read is None:
        raise _LeaveToFullBooking
    new_id, strikes, target, rules = read
    if (
        policy.is_booking_restricted(strikes=strikes, now=now, policy=NO_SHOW_POLICY)
        or target is None
        or not target[5]
        or target[6]
    ):
        raise _LeaveToFullBooking
    slot = _offered_slot(target=target, rules=rules, asked=asked, day=day, zone=zone, now=now)
    if slot is None:
        raise _LeaveToFullBooking
    appointment_id = int(new_id)
    uid = uuid.uuid4().hex
    answer = _answer(appointment_id, uid, asked, slot, zone)
    written = await connection.fetchval(
        _BOOK,
        appointment_id,
        uid,
        asked.patient_id,
        asked.clinician_id,
        asked.appointment_type_id,
        slot.start,
        slot.end,
        slot.occupied_until,
        now,
        asked.open_limit,
        asked.client_ip,
        max(now, slot.start - REMINDER_LEAD),
        list(CHANNELS),
        asked.idempotency_key,
        asked.fingerprint,
        answer,
    )
    if not written:
        raise _LeaveToFullBooking
    return Booked(appointment_id=appointment_id, answer_json=answer)
