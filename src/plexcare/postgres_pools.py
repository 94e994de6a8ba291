"""asyncpg connection pools for the paths that await PostgreSQL directly (a patient's booking).

The rest of the app talks to the database through sync SQLAlchemy sessions in the threadpool
(`plexcare.db` says why). A booking is the one request people make many of at once, and there
the ORM, the thread hops and psycopg's per-statement work cost the app three times the CPU the
database spends; asyncpg's prepared statements on the event loop cost a fraction of it.

A pool belongs to the event loop that opened it, and one app object can outlive a loop (a test
client without `with` runs each request in a loop of its own), so each app keeps one pool per
loop: a pool of a loop that has gone is terminated (closed without awaiting) when the next loop
asks. SQLite gets no pool: its booking takes the sync path.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

POOL_SIZE = 16
"""Connections per app process: more than a process's share of the 32 concurrent clients of
`bench/booking.py` never helped, as the two cores are busy well before that."""


APPLICATION_NAME = "plexcare-booking"
"""How these connections show in `pg_stat_activity`."""


def asyncpg_dsn(database_url: str) -> str | None:
    """The libpq-style address asyncpg takes, from the app's SQLAlchemy URL; None for SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresPools:
    """The asyncpg pool of one app, opened on first use in each event loop."""

    def __init__(self, dsn: str, size: int = POOL_SIZE) -> None:
        self._dsn = dsn
        self._size = size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Task[Any] | None = None

    async def pool(self) -> asyncpg.Pool:
        """This loop's pool; the requests that arrive while it opens all wait for the one
        being opened, so a burst opens one pool, not one each."""
        loop = asyncio.get_running_loop()
        if self._opening is None or self._loop is not loop or _failed(self._opening):
            self._terminate_other_loops_pool()
            self._loop = loop
            self._opening = loop.create_task(self._open())
        pool: asyncpg.Pool = await asyncio.shield(self._opening)
        return pool

    async def _open(self) -> asyncpg.Pool:
        pool: asyncpg.Pool = await asyncpg.create_pool(
            self._dsn,
            min_size=1,
            max_size=self._size,
            reset=_end_transaction,
            server_settings={"application_name": APPLICATION_NAME},
        )
        return pool

    def _terminate_other_loops_pool(self) -> None:
        opening, self._opening = self._opening, None
        if opening is not None and opening.done() and not _failed(opening):
            with contextlib.suppress(RuntimeError):  # its loop has closed under it
                opening.result().terminate()

    async def close(self) -> None:
        """Close this loop's pool (the app's shut-down); another loop's is terminated."""
        opening = self._opening
        if opening is None:
            return
        if self._loop is not asyncio.get_running_loop():
            self._terminate_other_loops_pool()
            return
        self._opening = None
        if not opening.done():
            opening.cancel()
            return
        if not opening.cancelled() and opening.exception() is None:
            await opening.result().close()


def _failed(opening: asyncio.Task[Any]) -> bool:
    """A pool that could not open (the database was down) is tried again by the next request."""
    return opening.done() and (opening.cancelled() or opening.exception() is not None)


async def _end_transaction(connection: asyncpg.Connection) -> None:
    """What a connection needs before the next request takes it: no open transaction.

    asyncpg's own reset (`RESET ALL`, `UNLISTEN *`, `CLOSE ALL`, unlocking advisory locks) is a
    round trip on every release, a fifth of a booking's cost, for state these paths never set:
    they run plain statements inside `transaction()` blocks and nothing else."""
    if connection.is_closed() or not connection.is_in_transaction():
        return
    try:
        await connection.execute("ROLLBACK")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError):
        connection.terminate()  # a broken connection: the pool opens a new one
