"""The quick booking's writes, sent to PostgreSQL together when they arrive together.

Each plain booking is one call of a database function (`plexcare_book_appointment`, migration
0013): one round trip and one commit. Under load an app process has many waiting at the same
moment, and most of their cost is that fixed part. So the writes wait their turn here, and
each turn (a round) sends all that have gathered as one call of `plexcare_book_appointments`
(migration 0014), which keeps every rule of the single write booking by booking:

- when the database is idle a write is sent at once, alone, as before: a round forms only
  from writes that arrive while `ROUNDS_AT_ONCE` rounds are already with the database, so it
  adds no wait of its own, only the wait there already was;
- a round holds at most `MOST_IN_A_ROUND` writes, no patient twice, and only writes made from
  rules remembered at the same version; the others wait for the next round;
- a round that a constraint refuses (a slot taken, a patient's own overlap, a key used before),
  or that deadlocks, has written nothing, and each of its writes is then sent alone, so one
  booking's clash never refuses another's: the one that clashed is then refused alone and
  left to the full booking, which names the clash;
- any other error of a round is each of its writes' own error, as it would have been alone.

Measured on this machine (2 cores, 16 connections, the booking benchmark's clinic), the
database's CPU per booking against one write alone: a round of 2 about the same, of 4 about a
quarter less, of 8 about half; the app's own CPU per booking falls with it (one call, not
eight).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from plexcare.postgres_pools import PostgresPools
from plexcare.scheduling.reservations import LOST_RACE_SQLSTATES

ROUNDS_AT_ONCE = 2
"""Rounds one app process has with the database at a time: two, so one is being written while
the app prepares the next, on the two cores the database and the app share."""
MOST_IN_A_ROUND = 16
"""A bound on one round's size (its arrays and its locks); the process's connections (16) bound
it in practice."""
CLASH_SQLSTATES = frozenset({"23P01", "23505"}) | LOST_RACE_SQLSTATES
"""Exclusion (the time is taken, or still reserved by a hold, or the patient is busy then), a
unique key (the start is taken, or the idempotency key was used before), or a race lost to
another request (`reservations.LOST_RACE_SQLSTATES`). In a round, any one booking's clash
undoes all of them, so each is tried alone to find whose it was; alone, the full booking
decides it and names it."""


def sqlstate_of(error: asyncpg.PostgresError) -> str:
    return str(getattr(error, "sqlstate", "") or "")


def _call(function: str) -> str:
    return f"SELECT {function}(" + ", ".join(f"${n}" for n in range(1, 17)) + ")"


_ONE = _call("plexcare_book_appointment")
"""One write alone (migration 0013)."""
_ROUND = _call("plexcare_book_appointments")
"""Several writes as one (migration 0014)."""


@dataclass(frozen=True)
class Write:
    """One booking's write, as the database functions take it."""

    rules_version: int
    uid: str
    patient_id: int
    clinician_id: int
    appointment_type_id: int
    starts_at: datetime
    ends_at: datetime
    blocked_until: datetime
    now: datetime
    open_limit: int
    client_ip: str | None
    reminder_due: datetime
    channels: tuple[str, ...]
    idempotency_key: str | None
    fingerprint: str
    answer: str

    def sits_with(self, other: Write) -> bool:
        """Whether the two may share a round: its scalars alike, its patients not."""
        return (
            self.rules_version == other.rules_version
            and self.open_limit == other.open_limit
            and self.channels == other.channels
            and self.patient_id != other.patient_id
        )


async def _alone(pools: PostgresPools, write: Write) -> int:
    """The write on its own, in a transaction of its own: the new appointment's id, or
    `plexcare_book_appointment`'s answer for a stale version (-1) or a refusal (0)."""
    pool = await pools.pool()
    async with pool.acquire() as connection:
        booked: int = await connection.fetchval(
            _ONE,
            write.rules_version,
            write.uid,
            write.patient_id,
            write.clinician_id,
            write.appointment_type_id,
            write.starts_at,
            write.ends_at,
            write.blocked_until,
            write.now,
            write.open_limit,
            write.client_ip,
            write.reminder_due,
            list(write.channels),
            write.idempotency_key,
            write.fingerprint,
            write.answer,
        )
    return booked


async def _round(connection: asyncpg.Connection, writes: Sequence[Write]) -> list[int]:
    """The writes as one transaction, answered in their order as `_alone` answers each;
    raises, having written nothing, when any constraint refuses any of them."""
    first = writes[0]
    booked: list[int] = await connection.fetchval(
        _ROUND,
        first.rules_version,
        first.open_limit,
        list(first.channels),
        [write.uid for write in writes],
        [write.patient_id for write in writes],
        [write.clinician_id for write in writes],
        [write.appointment_type_id for write in writes],
        [write.starts_at for write in writes],
        [write.ends_at for write in writes],
        [write.blocked_until for write in writes],
        [write.now for write in writes],
        [write.client_ip for write in writes],
        [write.reminder_due for write in writes],
        [write.idempotency_key for write in writes],
        [write.fingerprint for write in writes],
        [write.answer for write in writes],
    )
    return booked


class TryAlone(Exception):
    """The write's round was refused whole; nothing was written."""


@dataclass
class _Waiting:
    write: Write
    answer: asyncio.Future[int]


class BookingRounds:
    """The writes of one app process waiting for the database, and the rounds taking them
    there. Belongs to one event loop at a time: a write from another loop (a test client
    that runs each request in a loop of its own) starts afresh, as nothing of the old loop's
    can still be waiting."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[_Waiting] = []
        self._taking = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def write(self, pools: PostgresPools, write: Write) -> int:
        """The write, sent in the next round: answered as `_alone` answers it."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._waiting, self._taking, self._tasks = loop, [], 0, set()
        waiting = _Waiting(write, loop.create_future())
        waiting.answer.add_done_callback(_seen)
        self._waiting.append(waiting)
        if self._taking < ROUNDS_AT_ONCE:
            self._taking += 1
            task = loop.create_task(self._take_rounds(pools, loop))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            return await waiting.answer
        except TryAlone:
            return await _alone(pools, write)

    def _next_round(self) -> list[_Waiting]:
        """The writes the next round takes; a write whose request has gone (its client left
        before it was sent) is dropped unwritten, as a request cancelled before its write."""
        taken: list[_Waiting] = []
        left: list[_Waiting] = []
        for waiting in self._waiting:
            if waiting.answer.done():
                continue
            if len(taken) < MOST_IN_A_ROUND and all(
                waiting.write.sits_with(other.write) for other in taken
            ):
                taken.append(waiting)
            else:
                left.append(waiting)
        self._waiting = left
        return taken

    async def _take_rounds(self, pools: PostgresPools, loop: asyncio.AbstractEventLoop) -> None:
        """Rounds until none is waiting; the count of those taking them falls in the same
        step as the last look at the waiting, so a write never waits with nobody to take it."""
        try:
            while self._loop is loop and self._waiting:
                round_ = self._next_round()
                if round_:
                    await _send(pools, round_)
        finally:
            if self._loop is loop:
                self._taking -= 1


async def _send(pools: PostgresPools, round_: list[_Waiting]) -> None:
    """The round written, and each write answered: its id or refusal, `TryAlone`, or the
    error the database gave."""
    try:
        if len(round_) == 1:
            answers = [await _alone(pools, round_[0].write)]
        else:
            pool = await pools.pool()
            async with pool.acquire() as connection:
                answers = await _round(connection, [waiting.write for waiting in round_])
    except asyncpg.PostgresError as error:
        alone = len(round_) > 1 and sqlstate_of(error) in CLASH_SQLSTATES
        _answer_all(round_, TryAlone() if alone else error)
    except BaseException as error:
        _answer_all(round_, error)
        if not isinstance(error, Exception):
            raise
    else:
        for waiting, answer in zip(round_, answers, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(answer)


def _answer_all(round_: list[_Waiting], error: BaseException) -> None:
    for waiting in round_:
        if waiting.answer.done():
            continue
        if isinstance(error, Exception):
            waiting.answer.set_exception(error)
        else:
            waiting.answer.cancel()


def _seen(answer: asyncio.Future[int]) -> None:
    """An answer whose request went away (its client left) is not waited for; its error is
    looked at here so asyncio does not report it as never retrieved."""
    if not answer.cancelled():
        answer.exception()
