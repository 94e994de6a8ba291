"""Registration does not tell anyone whether an e-mail address has an account: the answer is
the same, an existing account is left alone and never duplicated, and the attempt is audited."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.models import User
from plexcare.audit.models import AuditEvent
from tests.conftest_db import PASSWORD, SmallClinic, make_app

NEW_PASSWORD = "a brand new passphrase"


def register(client: TestClient, email: str, **fields: Any) -> Response:
    body = {"email": email, "password": NEW_PASSWORD, "full_name": "Someone", **fields}
    return client.post("/api/v1/auth/register", json=body)


def sign_in(client: TestClient, email: str, password: str) -> int:
    answer = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    return answer.status_code


def accounts_with(session: Session, email: str) -> int:
    query = select(func.count()).select_from(User).where(User.email == email)
    return session.scalar(query) or 0


def test_a_new_and_a_taken_address_get_the_same_answer(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    new = register(client, "cara@example.org")
    taken = register(client, "Ann@Example.org")

    assert (new.status_code, new.json()) == (taken.status_code, taken.json())
    assert new.status_code == 202
    assert "sign in" in new.json()["message"]
    assert accounts_with(session, "cara@example.org") == 1
    assert accounts_with(session, "ann@example.org") == 1


def test_registering_a_taken_address_changes_nothing_about_its_account(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    register(client, "ann@example.org", full_name="Mallory", phone="020 7946 0999")

    assert sign_in(client, "ann@example.org", PASSWORD) == 200
    assert sign_in(client, "ann@example.org", NEW_PASSWORD) == 401
    ann = session.get(User, small_clinic.patient_a.id)
    assert ann is not None
    assert (ann.full_name, ann.phone) == ("ann", "+447700900123")


def test_the_new_account_signs_in_with_the_password_chosen(client: TestClient) -> None:
    register(client, "cara@example.org", phone="020 7946 0018")

    answer = client.post(
        "/api/v1/auth/token", json={"email": "cara@example.org", "password": NEW_PASSWORD}
    )
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
    )
    assert (me.json()["role"], me.json()["phone"]) == ("patient", "+442079460018")


def test_the_same_new_address_registered_at_once_makes_one_account(
    db_url: str, session: Session
) -> None:
    app = make_app(db_url)
    start = threading.Barrier(6)

    def attempt(index: int) -> int:
        caller = TestClient(app, client=(f"198.51.100.{index + 1}", 5000))
        start.wait()
        return register(caller, "dana@example.org", full_name=f"Dana {index}").status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(attempt, range(6)))

    assert statuses == [202] * 6
    assert accounts_with(session, "dana@example.org") == 1


def test_each_registration_is_audited_without_saying_so_to_the_caller(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    register(client, "cara@example.org")
    register(client, "ann@example.org")

    trail = session.execute(
        select(AuditEvent.action, AuditEvent.subject_type, AuditEvent.patient_user_id).order_by(
            AuditEvent.id
        )
    ).all()
    cara = session.scalar(select(User.id).where(User.email == "cara@example.org"))
    assert [tuple(event) for event in trail] == [
        ("create", "account", cara),
        ("register_existing", "account", small_clinic.patient_a.id),
    ]


def test_a_bad_phone_number_is_refused_by_name_whether_or_not_the_address_is_taken(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    for email in ("cara@example.org", "ann@example.org"):
        answer = register(client, email, phone="not a phone")
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "phone"
