"""The callback rate limit holds when many requests arrive at the same moment, on SQLite and
PostgreSQL: counting and saving are one step per key, so a burst accepts exactly the limit."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

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
Answer = TypeVar("Answer")


@pytest.fixture(autouse=True)
def close_idle_connections(db_url: str) -> Iterator[None]:
    """A burst opens up to the pool's 40 connections; give them back to the shared server."""
    yield
    engine_for(db_url).dispose()


def at_once(calls: Sequence[Callable[[], Answer]]) -> list[Answer]:
    """Run every call in its own thread, all released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Answer]) -> Answer:
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


ONE_PROCESS_BURST = 200
"""Enough requests to fill a server process's threadpool (40) several times over."""
BURST_AT_ONE_SERVER = """
import json, sys
import httpx
from tests.browser import served
from tests.callbacks.test_rate_limit_at_once import at_once
from tests.conftest_db import make_app

body = {"full_name": "Sam Caller", "phone": "020 7946 0018", "reason": "Please call me back."}
with served(make_app(sys.argv[1])) as url, httpx.Client(
    base_url=url, timeout=None, limits=httpx.Limits(max_connections=None)
) as http:
    asks = [lambda: http.post("/api/v1/callbacks", json=body).status_code] * int(sys.argv[2])
    print(json.dumps(at_once(asks)), flush=True)
"""
"""A burst of requests for one number at one app, served by uvicorn in a process of its own
(killed if it hangs, which ends its database connections and so its locks)."""


def test_a_burst_for_one_number_at_one_server_process_is_answered_in_full(
    db_url: str, session: Session
) -> None:
    """The requests share one server process's threadpool: each refused request holds the
    number's rate-limit row until it is rolled back, and the requests waiting for a thread
    wait on that row. Every request is answered, within the minute."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", BURST_AT_ONE_SERVER, db_url, str(ONE_PROCESS_BURST)],
            capture_output=True,
            timeout=60,
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the requests were left waiting on each other")
    statuses = json.loads(done.stdout.splitlines()[-1])
    assert statuses.count(201) == service.LIMITS.per_phone.limit
    assert statuses.count(429) == ONE_PROCESS_BURST - service.LIMITS.per_phone.limit
    assert stored_requests(session) == service.LIMITS.per_phone.limit
