"""How many SQL statements one booking costs, pinned on SQLite so it cannot silently grow.

Every statement on the booking path costs more Python time than the database spends on it, so
a new query there is a measurable slowdown (bench/booking.py). If a change needs one, raise the
number here deliberately and say why in the commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.db import engine_for, session_factory
from plexcare.notifications.models import OutboxMessage
from plexcare.scheduling.models import Appointment, AppointmentResource, IdempotencyRecord
from tests.conftest_db import Personas, SmallClinic, empty_tables, make_app
from tests.scheduling.test_booking import TUESDAY_10, booking_body

STATEMENTS_PER_BOOKING = 12
"""BEGIN IMMEDIATE; who is asking; the patient's strikes (the same statement locks the patient
on PostgreSQL); clinician + type + resources; the day's schedule; whether the clinic is closed
that day (an admin's closure or opened holiday); the clinician's busy time
(lapsed holds included); then one INSERT each for the clinician's reservation (the no-overlap
rule holds and appointments share), the appointment (guarded by the patient's own rules), the
audit event, the outbox messages and the idempotency record."""

EXTRA_STATEMENTS_FOR_RESOURCES = 2
"""A type that needs rooms or machines also reads their busy time and reserves them."""


@dataclass
class SqliteClinic:
    url: str
    people: SmallClinic
    personas: Personas


@pytest.fixture
def sqlite_clinic(sqlite_url: str) -> Iterator[SqliteClinic]:
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        people = SmallClinic(session)
        session.commit()
        yield SqliteClinic(url=sqlite_url, people=people, personas=Personas(session, people))


class StatementLog:
    """Every statement the engine sends while it is listening."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, *args: Any) -> None:
        self.statements.append(str(args[2]))


@pytest.fixture
def statement_log(sqlite_clinic: SqliteClinic) -> Iterator[StatementLog]:
    log = StatementLog()
    engine = engine_for(sqlite_clinic.url)
    event.listen(engine, "before_cursor_execute", log)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", log)


def rows_of(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_patient_booking_a_consultation_costs_twelve_statements_and_writes_everything_it_must(
    sqlite_clinic: SqliteClinic, statement_log: StatementLog
) -> None:
    headers = {**sqlite_clinic.personas.headers["patient_a"], "Idempotency-Key": "count-1"}
    with TestClient(make_app(sqlite_clinic.url)) as client:
        statement_log.statements.clear()
        answer = client.post(
            "/api/v1/appointments", json=booking_body(sqlite_clinic.people), headers=headers
        )
    assert answer.status_code == 201, answer.text
    assert len(statement_log.statements) == STATEMENTS_PER_BOOKING, statement_log.statements
    with session_factory(sqlite_clinic.url)() as session:
        assert rows_of(session, Appointment) == 1
        assert rows_of(session, AuditEvent) == 1
        assert rows_of(session, OutboxMessage) == 4
        assert rows_of(session, IdempotencyRecord) == 1


def test_an_emg_booking_costs_two_more_statements_for_its_room_and_machine(
    sqlite_clinic: SqliteClinic, statement_log: StatementLog
) -> None:
    people = sqlite_clinic.people
    body = {
        **booking_body(people, TUESDAY_10 - timedelta(hours=1)),
        "appointment_type_id": people.emg.id,
    }
    headers = {**sqlite_clinic.personas.headers["patient_a"], "Idempotency-Key": "count-2"}
    with TestClient(make_app(sqlite_clinic.url)) as client:
        statement_log.statements.clear()
        answer = client.post("/api/v1/appointments", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    expected = STATEMENTS_PER_BOOKING + EXTRA_STATEMENTS_FOR_RESOURCES
    assert len(statement_log.statements) == expected, statement_log.statements
    with session_factory(sqlite_clinic.url)() as session:
        assert rows_of(session, AppointmentResource) == 2
