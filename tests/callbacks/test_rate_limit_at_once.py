"""The callback rate limit holds when many requests arrive at the same moment, on SQLite and
PostgreSQL: counting and saving are one step per key, so a burst accepts exactly the limit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.callbacks import service
from plexcare.callbacks.models import CallbackRateKey, CallbackRequest
from plexcare.db import engine_for, session_factory
from tests.conftest_db import TEST_NOW, make_app

BURST = 50


@pytest.fixture(autouse=True)
def close_idle_connections(db_url: str) -> Iterator[None]:
    """A burst opens up to the pool's 40 connections; give them back to the shared server."""
    yield
    engine_for(db_url).dispose()


def at_once(calls: Sequence[Callable[[], Response]]) -> list[Response]:
    """Run every call in its own thread, all released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Response]) -> Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def ask_from(app: FastAPI, address: str, phone: str) -> Callable[[], Response]:
    body = {"full_name": "Sam Caller", "phone": phone, "reason": "Please call me back."}
    caller = TestClient(app, client=(address, 5000))
    return lambda: caller.post("/api/v1/callbacks", json=body)


def stored_requests(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CallbackRequest)) or 0


def test_fifty_requests_at_once_for_one_number_accept_exactly_the_daily_limit(
    db_url: str, session: Session
) -> None:
    app = make_app(db_url)
    limit = service.LIMITS.per_phone.limit
    answers = at_once([ask_from(app, f"198.51.100.{i + 1}", "020 7946 0018") for i in range(BURST)])

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(201) == limit, statuses
    assert statuses.count(429) == BURST - limit, statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.headers["content-type"] == "application/problem+json"
    assert "for this number (at most 3 a day)" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) == 24 * 3600
    assert stored_requests(session) == limit


def test_fifty_requests_at_once_from_one_address_accept_exactly_the_hourly_limit(
    db_url: str, session: Session
) -> None:
    app = make_app(db_url)
    limit = service.LIMITS.per_client.limit
    answers = at_once([ask_from(app, "203.0.113.7", f"020 7946 {1000 + i}") for i in range(BURST)])

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(201) == limit, statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert "from this address (at most 5 an hour)" in refused.json()["detail"]
    assert stored_requests(session) == limit


def lock_rows(db_url: str) -> set[tuple[str, str]]:
    with session_factory(db_url)() as session:
        rows = session.execute(select(CallbackRateKey.kind, CallbackRateKey.key))
        return {(kind, key) for kind, key in rows}


def test_a_refused_request_leaves_no_lock_row_and_idle_rows_are_forgotten(db_url: str) -> None:
    app = make_app(db_url)
    for _ in range(3):
        assert ask_from(app, "198.51.100.1", "020 7946 0018")().status_code == 201
    assert ask_from(app, "198.51.100.2", "020 7946 0018")().status_code == 429
    assert lock_rows(db_url) == {("client", "198.51.100.1"), ("phone", "+442079460018")}

    two_days_later = make_app(db_url, now=TEST_NOW + timedelta(days=2))
    assert ask_from(two_days_later, "192.0.2.9", "020 7946 0099")().status_code == 201
    assert lock_rows(db_url) == {("client", "192.0.2.9"), ("phone", "+442079460099")}
