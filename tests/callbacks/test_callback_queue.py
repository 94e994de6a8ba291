"""Callback requests through the API on SQLite and PostgreSQL: E.164 numbers, the rate limit
per client and per number (429 with Retry-After), and the desk's queue with its overdue flag."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.callbacks.models import CallbackRequest
from tests.conftest_db import TEST_NOW, Personas, SmallClinic, make_app


def ask(client: TestClient, **fields: Any) -> Any:
    body = {
        "full_name": "Sam Caller",
        "phone": "020 7946 0018",
        "reason": "I would like to book a nerve test.",
        **fields,
    }
    return client.post("/api/v1/callbacks", json=body)


def test_an_anonymous_caller_is_queued_with_the_number_in_e164_and_a_target(
    client: TestClient, session: Session
) -> None:
    answer = ask(client, urgency="urgent")
    assert answer.status_code == 201, answer.text
    assert datetime.fromisoformat(answer.json()["due_at"]) == TEST_NOW + timedelta(hours=2)
    stored = session.scalar(select(CallbackRequest))
    assert stored is not None
    assert (stored.phone, stored.status, stored.patient_user_id) == ("+442079460018", "new", None)


def test_a_routine_request_is_due_within_one_working_day_of_clinic_hours(
    client: TestClient,
) -> None:
    answer = ask(client)
    assert datetime.fromisoformat(answer.json()["due_at"]) == TEST_NOW + timedelta(hours=10)


def test_an_emergency_is_refused_with_emergency_advice(client: TestClient) -> None:
    answer = ask(client, urgency="emergency")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "urgency"
    assert "emergency department" in answer.json()["detail"]


def test_a_number_that_cannot_be_dialled_is_refused_naming_the_phone(client: TestClient) -> None:
    answer = ask(client, phone="12")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "phone"


def test_a_preferred_window_outside_clinic_hours_is_refused_naming_it(
    client: TestClient,
) -> None:
    answer = ask(
        client,
        preferred_start="2026-03-02T19:00:00+00:00",
        preferred_end="2026-03-02T20:00:00+00:00",
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] in ("preferred_start", "preferred_end")
    half = ask(client, preferred_start="2026-03-03T10:00:00+00:00")
    assert half.json()["errors"][0]["field"] == "preferred_end"


def test_one_client_is_limited_to_five_requests_an_hour(
    client: TestClient, session: Session
) -> None:
    numbers = ["020 7946 0001", "020 7946 0002", "020 7946 0003", "020 7946 0004"]
    for number in [*numbers, "020 7946 0005"]:
        assert ask(client, phone=number).status_code == 201
    refused = ask(client, phone="020 7946 0006")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "Too many requests"
    assert "from this address" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) == 3600
    assert session.scalar(select(func.count()).select_from(CallbackRequest)) == 5


def test_one_number_is_limited_to_three_requests_a_day_however_it_is_spelled(
    db_url: str,
) -> None:
    spellings = ["020 7946 0018", "+44 20 7946 0018", "02079460018", "(020) 7946-0018"]
    with TestClient(make_app(db_url), client=("198.51.100.7", 5000)) as first:
        for spelling in spellings[:3]:
            assert ask(first, phone=spelling).status_code == 201
    with TestClient(make_app(db_url), client=("203.0.113.9", 5000)) as second:
        refused = ask(second, phone=spellings[3])
        assert refused.status_code == 429
        assert "for this number" in refused.json()["detail"]
        assert int(refused.headers["Retry-After"]) == 24 * 3600
        assert ask(second, phone="020 7946 0019").status_code == 201
    later = make_app(db_url, now=TEST_NOW + timedelta(hours=25))
    with TestClient(later, client=("203.0.113.9", 5000)) as next_day:
        assert ask(next_day, phone=spellings[3]).status_code == 201


def test_the_desk_sees_overdue_requests_flagged_and_can_close_them(
    db_url: str, client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    urgent = ask(client, urgency="urgent").json()["id"]
    routine = ask(client, phone="020 7946 0099").json()["id"]
    desk = personas.headers["front_desk"]
    with TestClient(make_app(db_url, now=TEST_NOW + timedelta(hours=3))) as later:
        queue = later.get("/api/v1/callbacks", headers=desk).json()
        flags = {item["id"]: item["overdue"] for item in queue["items"]}
        assert flags == {urgent: True, routine: False}
        assert [item["id"] for item in queue["items"]] == [urgent, routine]
        overdue = later.get("/api/v1/callbacks", params={"overdue": True}, headers=desk).json()
        assert [item["id"] for item in overdue["items"]] == [urgent]

        taken = later.patch(
            f"/api/v1/callbacks/{urgent}", headers=desk, json={"status": "in_progress"}
        )
        assert taken.json()["owner_user_id"] == small_clinic.front_desk.id
        done = later.patch(f"/api/v1/callbacks/{urgent}", headers=desk, json={"status": "done"})
        assert (done.json()["status"], done.json()["overdue"]) == ("done", False)
        overdue = later.get("/api/v1/callbacks", params={"overdue": True}, headers=desk).json()
        assert overdue["total"] == 0


def test_a_request_can_only_be_handed_to_front_desk_staff(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    callback_id = ask(client).json()["id"]
    answer = client.patch(
        f"/api/v1/callbacks/{callback_id}",
        headers=personas.headers["front_desk"],
        json={"owner_user_id": small_clinic.patient_a.id},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "owner_user_id"


def test_only_the_front_desk_and_admins_see_the_queue(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    statuses = {
        who: client.get("/api/v1/callbacks", headers=personas.headers[who]).status_code
        for who in ("anonymous", "patient_a", "clinician", "front_desk", "admin")
    }
    assert statuses == {
        "anonymous": 401,
        "patient_a": 403,
        "clinician": 403,
        "front_desk": 200,
        "admin": 200,
    }
