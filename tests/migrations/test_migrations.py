"""Migrations upgrade an empty database, step down one revision and back up, on both stores,
and leave a schema that matches the ORM models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from plexcare.db import Base
from plexcare.migrate import MIGRATIONS_DIR, alembic_config, current_revision, downgrade, upgrade
from tests.conftest_db import _libpq, postgres_base_url


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = postgres_base_url()
    assert base is not None
    schema = f"plexcare_migrate_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(base), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{base}?options={quote(f'-csearch_path={schema},public')}"
    with psycopg.connect(_libpq(base), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


NEWEST_COLUMN = ("case_drafts", "case_data")
"""A column the newest revision that adds columns adds (stepping below it removes it)."""
NEWEST_COLUMN_REVISION = "0010"
BOOKING_FUNCTION = "plexcare_book_appointment"
"""What revision 0011 adds, on PostgreSQL only: the quick booking's write."""
BOOKING_FUNCTION_REVISION = "0011"
STRIKES_INDEX = ("appointments", "ix_appointments_patient_strikes")
"""What revision 0012 adds, on both stores."""
STRIKES_INDEX_REVISION = "0012"
RULES_VERSION_TABLE = "booking_rules_version"
"""What revision 0013 adds on both stores; on PostgreSQL it rewrites the function, which then
checks the version."""
RULES_VERSION_REVISION = "0013"
ROUND_FUNCTION = "plexcare_book_appointments"
"""What the newest revision adds, on PostgreSQL only: the write of several bookings at once."""
VERSION_CHECK = "p_rules_version"
BEFORE_HARDENING = "0003"
"""The last revision before the scheduling, sign-in and invitation changes of December 2026."""


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert revision is not None
    return revision


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def columns(url: str, table: str) -> set[str]:
    """The table's columns; none when the table is not there (a revision may add a table)."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        if table not in inspector.get_table_names():
            return set()
        return {column["name"] for column in inspector.get_columns(table)}
    finally:
        engine.dispose()


def booking_function(url: str, name: str = BOOKING_FUNCTION) -> str | None:
    """The function's source, or None when it is not there."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            source: str | None = connection.scalar(
                text(f"SELECT prosrc FROM pg_proc WHERE oid = to_regproc('{name}')")
            )
            return source
    finally:
        engine.dispose()


def indexes(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {index["name"] or "" for index in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


def test_upgrade_from_empty_then_down_one_step_and_up_again(empty_database: str) -> None:
    table, column = NEWEST_COLUMN
    index_table, index = STRIKES_INDEX
    postgres = empty_database.startswith("postgresql")
    upgrade(empty_database)
    assert current_revision(empty_database) == head()
    assert RULES_VERSION_TABLE in tables(empty_database)
    if postgres:
        assert VERSION_CHECK in (booking_function(empty_database) or "")
        assert VERSION_CHECK in (booking_function(empty_database, ROUND_FUNCTION) or "")

    downgrade(empty_database, "-1")
    assert current_revision(empty_database) == RULES_VERSION_REVISION
    if postgres:
        assert booking_function(empty_database, ROUND_FUNCTION) is None
        assert VERSION_CHECK in (booking_function(empty_database) or "")
    downgrade(empty_database, "-1")
    assert current_revision(empty_database) == STRIKES_INDEX_REVISION
    assert RULES_VERSION_TABLE not in tables(empty_database)
    assert index in indexes(empty_database, index_table)
    if postgres:
        source = booking_function(empty_database)
        assert source is not None and VERSION_CHECK not in source
    downgrade(empty_database, "-1")
    assert current_revision(empty_database) == BOOKING_FUNCTION_REVISION
    assert index not in indexes(empty_database, index_table)
    if postgres:
        assert booking_function(empty_database) is not None
    downgrade(empty_database, "-1")
    assert current_revision(empty_database) == NEWEST_COLUMN_REVISION
    if postgres:
        assert booking_function(empty_database) is None
    downgrade(empty_database, "-1")
    assert column not in columns(empty_database, table)
    assert "appointments" in tables(empty_database)

    upgrade(empty_database)
    assert current_revision(empty_database) == head()
    assert column in columns(empty_database, table)
    assert index in indexes(empty_database, index_table)
    if postgres:
        assert VERSION_CHECK in (booking_function(empty_database) or "")
        assert booking_function(empty_database, ROUND_FUNCTION) is not None


def test_every_recent_revision_steps_down_and_up_again(empty_database: str) -> None:
    upgrade(empty_database)
    full = tables(empty_database)
    downgrade(empty_database, BEFORE_HARDENING)
    assert current_revision(empty_database) == BEFORE_HARDENING
    assert {"login_throttles", "callback_rate_keys"}.isdisjoint(tables(empty_database))
    upgrade(empty_database)
    assert tables(empty_database) == full


def test_the_migrated_schema_matches_the_models(empty_database: str) -> None:
    upgrade(empty_database)
    engine = create_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_migration_files_are_date_prefixed() -> None:
    names = [path.name for path in (MIGRATIONS_DIR / "versions").glob("*.py")]
    assert names
    assert all(name[:4].isdigit() and name[4] == "_" for name in names)
