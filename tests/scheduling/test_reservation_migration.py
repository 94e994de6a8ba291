"""Migration 0004 carries existing bookings over to the shared reservations, on both stores:
every active appointment and every hold gets its reservation, a hold the old separate rules
let overlap an appointment is dropped (its waitlist patient waits again), and stepping back
to 0003 restores the holds' own rule."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy import Connection, create_engine, text

from plexcare.migrate import downgrade, upgrade
from tests.conftest_db import _libpq, postgres_base_url

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


@pytest.fixture(params=["sqlite", "postgres"])
def database_at_0003(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'at_0003.db'}"
        upgrade(url, "0003")
        yield url
        return
    base = postgres_base_url()
    assert base is not None
    schema = f"plexcare_0004_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(base), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base}?options={quote(f'-csearch_path={schema},public')}"
    upgrade(url, "0003")
    yield url
    with psycopg.connect(_libpq(base), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run(url: str, statement: str, **values: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), _stored(connection, values))
            return list(result.all()) if result.returns_rows else []
    finally:
        engine.dispose()


def _stored(connection: Connection, values: dict[str, Any]) -> dict[str, Any]:
    """SQLite keeps naive UTC (as `UTCDateTime` writes it)."""
    if connection.dialect.name != "sqlite":
        return values
    return {
        key: value.replace(tzinfo=None) if isinstance(value, datetime) else value
        for key, value in values.items()
    }


def add_clinic_with_bookings(url: str) -> None:
    now = TUESDAY_10 - timedelta(days=1)
    run(
        url,
        "INSERT INTO users (id, email, password_hash, role, full_name, consent_email, "
        "consent_sms, is_active, created_at) VALUES "
        "(1, 'ann@example.org', 'x', 'patient', 'Ann', true, false, true, :now), "
        "(2, 'bob@example.org', 'x', 'patient', 'Bob', true, false, true, :now)",
        now=now,
    )
    run(
        url,
        "INSERT INTO clinicians (id, full_name, specialty, biography) "
        "VALUES (1, 'Dr Okafor', 'neurology', '')",
    )
    run(
        url,
        "INSERT INTO appointment_types (id, code, name, duration_minutes, buffer_minutes, "
        "minimum_notice_minutes, horizon_days) "
        "VALUES (1, 'neuro_consult', 'Consult', 30, 0, 60, 60)",
    )
    for number, (start, status) in enumerate(
        [(TUESDAY_10, "booked"), (TUESDAY_10 + HALF_HOUR, "cancelled")], start=1
    ):
        run(
            url,
            "INSERT INTO appointments (id, uid, patient_id, clinician_id, appointment_type_id, "
            "starts_at, ends_at, blocked_until, status, sequence, created_at, updated_at, strike) "
            "VALUES (:id, :uid, 1, 1, 1, :start, :end, :end, :status, 0, :now, :now, false)",
            id=number,
            uid=f"uid-{number}",
            start=start,
            end=start + HALF_HOUR,
            status=status,
            now=now,
        )
    run(
        url,
        "INSERT INTO waitlist_entries (id, patient_id, specialty, appointment_type_id, urgency, "
        "status, created_at) VALUES (1, 2, 'neurology', 1, 'urgent', 'offered', :now)",
        now=now,
    )
    for number, (start, entry) in enumerate(
        [(TUESDAY_10, 1), (TUESDAY_10 + 2 * HALF_HOUR, None)], start=1
    ):
        run(
            url,
            "INSERT INTO slot_holds (id, patient_id, clinician_id, appointment_type_id, "
            "starts_at, blocked_until, expires_at, waitlist_entry_id) "
            "VALUES (:id, 2, 1, 1, :start, :end, :expires, :entry)",
            id=number,
            start=start,
            end=start + HALF_HOUR,
            expires=now + timedelta(minutes=10),
            entry=entry,
        )


def test_bookings_made_before_0004_keep_their_time_under_the_shared_rule(
    database_at_0003: str,
) -> None:
    url = database_at_0003
    add_clinic_with_bookings(url)
    upgrade(url, "0004")

    reservations = dict(run(url, "SELECT id, starts_at FROM clinician_reservations"))
    assert len(reservations) == 2
    appointments = dict(run(url, "SELECT id, reservation_id FROM appointments"))
    assert appointments[2] is None
    assert appointments[1] in reservations
    assert run(url, "SELECT id FROM slot_holds") == [(2,)]
    [(hold_reservation,)] = run(url, "SELECT reservation_id FROM slot_holds")
    assert hold_reservation in reservations and hold_reservation != appointments[1]
    assert run(url, "SELECT status FROM waitlist_entries") == [("waiting",)]

    downgrade(url, "0003")
    assert run(url, "SELECT id, starts_at FROM slot_holds") != []
    upgrade(url)
    assert len(run(url, "SELECT id FROM clinician_reservations")) == 2
