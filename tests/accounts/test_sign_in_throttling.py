"""Password guessing is throttled per account and per client address, on SQLite and PostgreSQL:
a lock-out answers 429 with Retry-After, the same for an account that exists and one that does
not, refuses even the right password, and ends when its time is up."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from plexcare.accounts.models import LoginThrottle
from plexcare.audit.models import AuditEvent
from plexcare.config import get_settings
from plexcare.db import engine_for, session_factory
from tests.conftest_db import PASSWORD, TEST_NOW, SmallClinic, make_app

ANN = "ann@example.org"
NOBODY = "nobody@example.org"
PER_ACCOUNT = 3
PER_ADDRESS = 6
WINDOW = timedelta(minutes=10)


@pytest.fixture
def close_idle_connections(db_url: str) -> Iterator[None]:
    """A burst opens a connection per request; give them back to the shared server."""
    yield
    engine_for(db_url).dispose()


@pytest.fixture(autouse=True)
def throttle_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Smaller limits than the defaults, read from the environment as in production: each
    failure costs an Argon2 check, and the rule is the same at any size."""
    monkeypatch.setenv("PLEXCARE_LOGIN_FAILURES_PER_ACCOUNT", str(PER_ACCOUNT))
    monkeypatch.setenv("PLEXCARE_LOGIN_FAILURES_PER_ADDRESS", str(PER_ADDRESS))
    monkeypatch.setenv("PLEXCARE_LOGIN_WINDOW_MINUTES", "10")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class Clinic:
    """One app per clock; a browser per client address."""

    def __init__(self, db_url: str, people: SmallClinic) -> None:
        self.db_url = db_url
        self.ann_id = people.patient_a.id
        self.apps: dict[datetime, FastAPI] = {}

    def browser(self, address: str, now: datetime = TEST_NOW) -> TestClient:
        if now not in self.apps:
            self.apps[now] = make_app(self.db_url, now=now)
        return TestClient(self.apps[now], client=(address, 5000))


@pytest.fixture
def clinic(db_url: str, small_clinic: SmallClinic) -> Clinic:
    return Clinic(db_url, small_clinic)


def token(client: TestClient, email: str, password: str) -> Response:
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def answer_of(response: Response) -> tuple[int, Any, str | None]:
    """Everything a caller sees of a refusal."""
    return response.status_code, response.json(), response.headers.get("retry-after")


def guess(client: TestClient, email: str, times: int) -> list[int]:
    return [token(client, email, "not the password").status_code for _ in range(times)]


def test_wrong_passwords_lock_out_an_account_and_an_unknown_address_with_the_same_answer(
    clinic: Clinic,
) -> None:
    seen = {}
    for email, address in ((ANN, "198.51.100.1"), (NOBODY, "198.51.100.2")):
        client = clinic.browser(address)
        assert guess(client, email, PER_ACCOUNT - 1) == [401] * (PER_ACCOUNT - 1)
        last_failure = token(client, email, "not the password")
        locked = token(client, email, "not the password")
        seen[email] = (answer_of(last_failure), answer_of(locked))

    assert seen[ANN] == seen[NOBODY]
    (status, body, _), (locked_status, locked_body, retry_after) = seen[ANN]
    assert (status, body["detail"]) == (401, "wrong e-mail address or password")
    assert locked_status == 429
    assert locked_body["title"] == "Too many requests"
    assert retry_after == str(int(WINDOW.total_seconds()))
    assert "try again in 10 minutes" in locked_body["detail"]


def test_the_right_password_is_refused_during_a_lock_out_and_works_after_it(
    clinic: Clinic,
) -> None:
    client = clinic.browser("198.51.100.1")
    guess(client, ANN, PER_ACCOUNT)

    right = token(client, ANN, PASSWORD)
    wrong = token(client, ANN, "not the password")
    assert answer_of(right) == answer_of(wrong)
    assert right.status_code == 429
    from_elsewhere = clinic.browser("203.0.113.50")
    assert token(from_elsewhere, ANN, PASSWORD).status_code == 429
    page_sign_in = from_elsewhere.post(
        "/api/v1/auth/session", json={"email": ANN, "password": PASSWORD}
    )
    assert page_sign_in.status_code == 429

    just_before = clinic.browser("198.51.100.1", now=TEST_NOW + WINDOW - timedelta(seconds=1))
    assert token(just_before, ANN, PASSWORD).status_code == 429
    after = clinic.browser("198.51.100.1", now=TEST_NOW + WINDOW)
    assert token(after, ANN, PASSWORD).status_code == 200
    assert guess(after, ANN, PER_ACCOUNT - 1) == [401] * (PER_ACCOUNT - 1)


def test_each_further_lock_out_of_an_account_lasts_twice_as_long(
    clinic: Clinic,
) -> None:
    guess(clinic.browser("198.51.100.1"), ANN, PER_ACCOUNT)
    later = clinic.browser("198.51.100.1", now=TEST_NOW + WINDOW)
    guess(later, ANN, PER_ACCOUNT)

    again = token(later, ANN, PASSWORD)

    assert again.status_code == 429
    assert again.headers["retry-after"] == str(int(2 * WINDOW.total_seconds()))


def test_one_address_is_locked_out_after_failures_spread_over_many_accounts(
    clinic: Clinic,
) -> None:
    guesser = clinic.browser("203.0.113.7")
    answers = [
        token(guesser, f"person{i}@example.org", "not the password").status_code
        for i in range(PER_ADDRESS)
    ]
    assert answers == [401] * PER_ADDRESS

    refused = token(guesser, ANN, PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == int(WINDOW.total_seconds())
    same_network = clinic.browser("203.0.113.7")
    assert token(same_network, "bob@example.org", PASSWORD).status_code == 429
    assert token(clinic.browser("198.51.100.9"), ANN, PASSWORD).status_code == 200


def test_an_ipv6_guesser_is_counted_by_its_64_network(
    clinic: Clinic,
) -> None:
    for i in range(PER_ADDRESS):
        client = clinic.browser(f"2001:db8:1:2::{i + 1:x}")
        assert token(client, f"person{i}@example.org", "wrong").status_code == 401
    assert token(clinic.browser("2001:db8:1:2:ffff::1"), ANN, PASSWORD).status_code == 429
    assert token(clinic.browser("2001:db8:1:3::1"), ANN, PASSWORD).status_code == 200


def at_once(calls: Sequence[Callable[[], Response]]) -> list[Response]:
    """Run every call in its own thread, all released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Response]) -> Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_guesses_sent_at_once_get_no_more_wrong_password_answers_than_the_limit(
    clinic: Clinic, close_idle_connections: None
) -> None:
    clients = [clinic.browser(f"198.51.100.{i + 1}") for i in range(12)]

    answers = at_once([partial(token, c, ANN, "not the password") for c in clients])

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * PER_ACCOUNT + [429] * (12 - PER_ACCOUNT)
    assert token(clients[0], ANN, PASSWORD).status_code == 429


def test_failed_sign_ins_and_lock_outs_are_audited_and_refusals_only_counted(
    clinic: Clinic,
) -> None:
    client = clinic.browser("198.51.100.1")
    assert token(client, ANN, PASSWORD).status_code == 200
    guess(client, ANN, PER_ACCOUNT + 3)
    guess(clinic.browser("198.51.100.2"), NOBODY, PER_ACCOUNT + 1)

    with session_factory(clinic.db_url)() as session:
        events = session.execute(
            select(
                AuditEvent.action,
                AuditEvent.subject_type,
                AuditEvent.subject_id,
                AuditEvent.actor_user_id,
                AuditEvent.client_ip,
            ).order_by(AuditEvent.id)
        ).all()
        refused = sorted(
            session.scalars(select(LoginThrottle.refused).where(LoginThrottle.refused > 0))
        )
    ann_id = str(clinic.ann_id)
    trail = [tuple(event) for event in events]
    assert trail[0] == ("sign_in", "account", ann_id, clinic.ann_id, "198.51.100.1")
    failed = [event for event in trail if event[0] == "sign_in_failed"]
    assert failed == [("sign_in_failed", "account", ann_id, None, "198.51.100.1")] * PER_ACCOUNT
    lockouts = [event[:3] for event in trail if event[0] == "locked_out"]
    assert lockouts[0] == ("locked_out", "account", ann_id)
    assert lockouts[1][:2] == ("locked_out", "sign_in_account")
    assert NOBODY not in str(lockouts[1][2])
    assert len(trail) == 1 + PER_ACCOUNT + 2
    assert refused == [1, 3]
