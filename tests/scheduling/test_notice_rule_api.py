"""The patient sees the cancellation notice rule applied: a cancellation inside the 24-hour
notice window is still allowed, and the answer says it counts toward pausing online booking."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest_db import Personas, SmallClinic

TUESDAY_10 = "2026-03-03T10:00:00+00:00"
"""26 hours after the test clock (Monday 08:00): enough notice."""
MONDAY_15 = "2026-03-02T15:00:00+00:00"
"""7 hours after the test clock: inside the notice window."""


def book_and_cancel(
    client: TestClient, personas: Personas, clinic_people: SmallClinic, starts_at: str
) -> dict[str, object]:
    ann = personas.headers["patient_a"]
    booked = client.post(
        "/api/v1/appointments",
        headers=ann,
        json={
            "clinician_id": clinic_people.neurologist.id,
            "appointment_type_id": clinic_people.consultation.id,
            "starts_at": starts_at,
        },
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["strike"] is False
    cancelled = client.post(
        f"/api/v1/appointments/{booked.json()['id']}/cancel", headers=ann, json={"reason": "ill"}
    )
    assert cancelled.status_code == 200, cancelled.text
    answer: dict[str, object] = cancelled.json()
    return answer


def test_a_cancellation_with_enough_notice_is_not_a_strike(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    answer = book_and_cancel(client, personas, small_clinic, TUESDAY_10)
    assert answer["status"] == "cancelled"
    assert answer["strike"] is False


def test_a_late_cancellation_is_allowed_but_reported_as_a_strike(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    answer = book_and_cancel(client, personas, small_clinic, MONDAY_15)
    assert answer["status"] == "cancelled"
    assert answer["strike"] is True
