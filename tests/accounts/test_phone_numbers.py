"""Phone numbers on accounts are stored in E.164, and a number that is not one is refused."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest_db import Personas

PROBLEM = "application/problem+json"


def test_registering_stores_the_phone_number_in_e164(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/auth/register",
        json={
            "email": "dev@example.org",
            "password": "long enough pw",
            "full_name": "Dev",
            "phone": "020 7946 0018",
        },
    )
    assert answer.status_code == 202, answer.text
    token = client.post(
        "/api/v1/auth/token", json={"email": "dev@example.org", "password": "long enough pw"}
    ).json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["phone"] == "+442079460018"


def test_a_phone_that_is_not_a_number_is_refused_naming_the_field(
    client: TestClient, personas: Personas
) -> None:
    answer = client.patch(
        "/api/v1/me", json={"phone": "not a phone"}, headers=personas.headers["patient_a"]
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["errors"][0]["field"] == "phone"
    unchanged = client.get("/api/v1/me", headers=personas.headers["patient_a"]).json()
    assert unchanged["phone"] != "not a phone"
