"""Database engine, sessions and the declarative base.

Why sync SQLAlchemy and not async: DESIGN.md measured async routes at 1.5–2× the throughput of
sync routes in the threadpool for a trivial insert, but booking is dominated by one short
transaction guarded by an exclusion constraint, and the same session code must also serve the
CLI, the outbox worker and the tests on two databases. SQLite (the embedded default) has no real
async driver and needs writes serialized anyway. One sync code path is the simplest thing that is
robust on both stores; the async switch stays possible because services take a session argument
and never open their own. The one exception is a patient's plain booking on PostgreSQL, the
request people make most of at once: measured under load, the ORM path cost the app three times
the CPU PostgreSQL spent, so it goes through asyncpg on the event loop
(`plexcare.scheduling.quick_booking`) and falls back to this path for everything else.

SQLite gets WAL (readers never wait for the writer), foreign keys, a busy timeout, and
`BEGIN IMMEDIATE` on every transaction, so concurrent writers queue for the lock up front instead
of failing half-way when one upgrades from a read lock.

Because every SQLite transaction takes the write lock, one connection at a time can do
anything, so a process keeps exactly one and requests queue for it in the pool (a condition
variable, not SQLite's sleep-and-poll busy handler); the busy timeout only covers other
processes (the worker, a CLI command). Waiting for the connection blocks a threadpool thread,
and a request that ends without committing needs a thread to roll back and hand it on, so the web
app admits fewer requests at once on SQLite than there are threads (`web/request_queue.py`).
Without that, 50 concurrent bookings filled every thread with waiters, the holder could not
roll back, and the burst stalled for 30 s and ended in 500s and 503s.
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a statement waits for another process's write lock before "database is locked"
(answered 503 with Retry-After). Short, because the whole process queues behind it."""
SQLITE_QUEUE_SECONDS = 30.0
"""How long a request waits for the process's one SQLite connection before 503 (Retry-After)."""
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700
POSTGRES_POOL_SIZE = 32
POSTGRES_POOL_OVERFLOW = 8
"""Kept connections cover every request a worker runs at once (a thread each: on PostgreSQL the
routes' `Settings.postgres_threads` and the rollbacks' `ROLLBACK_THREADS`, 12 in all by default),
so a busy worker never opens and drops overflow connections per request. With 10 kept and 30
overflow, bench/booking.py spent most of a core on PostgreSQL backends started and ended per
request (shown there as "other jobs"); the same maximum of 40 per worker, kept open, removed
it."""


class Base(DeclarativeBase):
    """Every ORM model; constraint names follow one convention so migrations can name them."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on both databases.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so the value is stored as naive UTC
    and handed back aware. Naive datetimes are refused: a wall-clock time without a zone is the
    root of the hour-off-after-DST bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_private_directory(path: Path) -> None:
    """Create `path` and any missing parents readable by this user only (0700): patient
    records and uploads live there. An existing folder is left as it is: it may be shared on
    purpose, or not ours to change."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIRECTORY_MODE, exist_ok=True)
        folder.chmod(PRIVATE_DIRECTORY_MODE)  # mkdir's mode is filtered by the umask


def make_private_sqlite_file(path: Path) -> None:
    """Create the database file (and its folder) 0600 before SQLite opens it.

    SQLite creates a missing file with the process umask (usually world-readable) and gives its
    -wal and -shm files the database file's permissions, so creating it private first keeps all
    three private. An existing file of ours loses any access for other users (its group's is
    left alone: a backup job may rely on it).
    """
    make_private_directory(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
    status = path.stat()
    if status.st_uid == os.getuid() and status.st_mode & stat.S_IRWXO:
        path.chmod(stat.S_IMODE(status.st_mode) & ~stat.S_IRWXO)


def make_engine(database_url: str) -> Engine:
    """An engine configured for the database the URL names."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            engine = create_engine(url, connect_args={"check_same_thread": False})
            _configure_sqlite(engine)
            return engine
        make_private_sqlite_file(Path(url.database))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=1,
            max_overflow=0,
            pool_timeout=SQLITE_QUEUE_SECONDS,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=POSTGRES_POOL_SIZE, max_overflow=POSTGRES_POOL_OVERFLOW
    )


@lru_cache(maxsize=16)
def engine_for(database_url: str) -> Engine:
    """One engine (and connection pool) per database URL for the life of the process."""
    return make_engine(database_url)


@lru_cache(maxsize=16)
def session_factory(database_url: str) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit, so a route can answer from them.

    Cached: a `sessionmaker` builds a new Session subclass, which every request would
    otherwise pay for (and register with SQLAlchemy's event system) again.
    """
    return sessionmaker(bind=engine_for(database_url), expire_on_commit=False)


def utc_now() -> datetime:
    """The current instant; the one clock read of the service layer, so tests can pass their own."""
    return datetime.now(UTC)
