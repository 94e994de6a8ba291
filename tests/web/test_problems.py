"""Errors answer as RFC 9457 problem+json naming the field; sign-in cookies are HttpOnly/Lax."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from plexcare.web.problems import problem
from tests.conftest_db import PASSWORD, Personas, SmallClinic

PROBLEM = "application/problem+json"


def test_a_bad_registration_names_each_field_at_fault(client: TestClient) -> None:
    answer = client.post("/api/v1/auth/register", json={"email": "not-an-address", "password": "x"})
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    fields = {error["field"] for error in answer.json()["errors"]}
    assert fields == {"email", "password", "full_name"}


def test_a_bad_query_parameter_is_named(client: TestClient) -> None:
    answer = client.get("/api/v1/clinicians", params={"limit": 0})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "limit"


def test_401_403_404_and_409_are_problems(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    assert client.get("/api/v1/me").status_code == 401
    forbidden = client.get("/api/v1/audit-events", headers=personas.headers["patient_a"])
    missing = client.get("/api/v1/appointments/999999", headers=personas.headers["admin"])
    duplicate = client.post(
        "/api/v1/users",
        json={
            "email": "ann@example.org",
            "password": "long enough pw",
            "full_name": "Ann",
            "role": "clinician",
        },
        headers=personas.headers["admin"],
    )
    for answer, status in ((forbidden, 403), (missing, 404), (duplicate, 409)):
        assert answer.status_code == status
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["status"] == status
    assert duplicate.json()["errors"][0]["field"] == "email"


def test_a_wrong_bearer_token_is_refused_not_treated_as_anonymous(client: TestClient) -> None:
    answer = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"


def test_page_sign_in_sets_an_httponly_samesite_lax_cookie_that_authenticates(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = client.post(
        "/api/v1/auth/session", json={"email": "ann@example.org", "password": PASSWORD}
    )
    cookie = answer.headers["set-cookie"].lower()
    assert answer.status_code == 204
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/api/v1/me").json()["email"] == "ann@example.org"
    client.delete("/api/v1/auth/session")
    assert client.get("/api/v1/me").status_code == 401


HUGE = 10**30


def test_an_id_beyond_any_record_is_a_422_naming_it_wherever_it_is_sent(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    ann = personas.headers["patient_a"]
    in_path = client.get(f"/api/v1/appointments/{HUGE}", headers=ann)
    in_query = client.get("/api/v1/clinicians", params={"offset": HUGE})
    in_body = client.post(
        "/api/v1/holds",
        headers=ann,
        json={
            "clinician_id": HUGE,
            "appointment_type_id": small_clinic.consultation.id,
            "starts_at": "2026-03-03T10:00:00+00:00",
        },
    )
    for answer, field in (
        (in_path, "appointment_id"),
        (in_query, "offset"),
        (in_body, "clinician_id"),
    ):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == PROBLEM
        assert [error["field"] for error in answer.json()["errors"]] == [field]


def test_a_date_at_the_edge_of_the_calendar_is_a_422_naming_it(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = client.get(
        "/api/v1/slots",
        params={"appointment_type_id": small_clinic.consultation.id, "from_date": "9999-12-31"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "from_date"


def test_a_nul_character_is_stored_or_refused_by_name_never_a_server_error(
    client: TestClient,
) -> None:
    answer = client.post(
        "/api/v1/callbacks",
        json={"full_name": "Sam\u0000Caller", "phone": "020 7946 0018", "reason": "Call me back."},
    )
    assert answer.status_code in (201, 422), answer.text
    if answer.status_code == 422:
        assert answer.json()["errors"][0]["field"] == "full_name"


def test_a_body_that_is_not_json_is_reported_as_the_body(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/auth/register",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body"


def test_a_too_large_upload_has_a_title_of_its_own() -> None:
    assert json.loads(problem(413, "too large").body)["title"] == "Content too large"
