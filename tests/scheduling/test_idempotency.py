"""`Idempotency-Key` without a look-up first: a retry is answered from the stored record
whichever way its own attempt ends, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.notifications.models import OutboxMessage
from plexcare.scheduling.models import Appointment
from tests.conftest_db import Personas, SmallClinic, make_app
from tests.scheduling.test_booking import TUESDAY_10, booking_body

MONDAY_10 = TUESDAY_10 - timedelta(days=1)
"""Two hours after the tests' clock; an hour's notice closes the slot at 09:00."""


def stored(session: Session, model: type[Appointment] | type[OutboxMessage]) -> int:
    """Rows of `model`. The read transaction is ended at once, since on SQLite every
    transaction takes the write lock and the app must write next; by a commit, which (unlike
    a rollback) leaves the fixtures' loaded objects usable without reloading them."""
    count = session.scalar(select(func.count()).select_from(model)) or 0
    session.commit()
    return count


def test_a_retry_after_the_appointment_was_cancelled_replays_the_first_answer_and_books_nothing(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, session: Session
) -> None:
    headers = {**personas.headers["patient_a"], "Idempotency-Key": "retry-after-cancel"}
    first = client.post("/api/v1/appointments", json=booking_body(small_clinic), headers=headers)
    assert first.status_code == 201, first.text
    cancelled = client.post(
        f"/api/v1/appointments/{first.json()['id']}/cancel",
        json={"reason": "changed my mind"},
        headers=personas.headers["patient_a"],
    )
    assert cancelled.status_code == 200, cancelled.text
    messages_before_retry = stored(session, OutboxMessage)
    retry = client.post("/api/v1/appointments", json=booking_body(small_clinic), headers=headers)
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert stored(session, Appointment) == 1
    assert stored(session, OutboxMessage) == messages_before_retry


def test_a_retry_once_the_slot_is_inside_the_notice_period_still_gets_the_first_answer(
    db_url: str, personas: Personas, small_clinic: SmallClinic, session: Session
) -> None:
    headers = {**personas.headers["patient_a"], "Idempotency-Key": "retry-much-later"}
    body = booking_body(small_clinic, MONDAY_10)
    with TestClient(make_app(db_url)) as client:
        first = client.post("/api/v1/appointments", json=body, headers=headers)
    with TestClient(make_app(db_url, now=MONDAY_10 - timedelta(minutes=30))) as later:
        retry = later.post("/api/v1/appointments", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert stored(session, Appointment) == 1


def test_without_a_key_a_second_booking_of_the_same_slot_is_a_conflict(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    headers = personas.headers["patient_a"]
    first = client.post("/api/v1/appointments", json=booking_body(small_clinic), headers=headers)
    second = client.post("/api/v1/appointments", json=booking_body(small_clinic), headers=headers)
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
