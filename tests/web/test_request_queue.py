"""A burst on the embedded SQLite store gets slower, not 500s: requests queue for the one
connection, and where one must give up it is a clean 503 with Retry-After."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.types import Receive, Scope, Send

from plexcare import db
from plexcare.accounts import service as accounts
from plexcare.accounts.roles import Role
from plexcare.app import create_app
from plexcare.db import engine_for, session_factory
from plexcare.scheduling.models import Appointment
from plexcare.web.request_queue import RequestQueue, uses_sqlite
from tests.browser import served
from tests.conftest_db import TEST_NOW, SmallClinic, add_user, empty_tables, make_app

CLIENTS = 50
RACERS = 25
"""Half the clients want the same slot (one wins, the rest are refused and roll back); the
other half each book a free slot of their own."""
PROBLEM = "application/problem+json"


@pytest.fixture
def sqlite_clinic(sqlite_url: str) -> Iterator[tuple[str, SmallClinic, list[str]]]:
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        clinic = SmallClinic(session)
        tokens = []
        for number in range(CLIENTS):
            user = add_user(session, email=f"burst{number}@example.org", role=Role.patient)
            raw, _ = accounts.issue_token(
                session=session,
                user=user,
                kind="bearer",
                now=TEST_NOW,
                lifetime=timedelta(days=365),
            )
            tokens.append(raw)
        session.commit()
        yield sqlite_url, clinic, tokens


def free_slots(count: int) -> Iterator[datetime]:
    """Half-hour starts from Tuesday to Friday, 09:00 to 12:00 (before the lunch break)."""
    produced = 0
    for day in range(1, 5):
        for half_hours in range(7):
            if produced == count:
                return
            yield datetime(2026, 3, 2, 9, tzinfo=UTC) + timedelta(days=day, minutes=30 * half_hours)
            produced += 1


def test_fifty_concurrent_bookings_on_sqlite_all_get_an_answer_and_none_a_5xx(
    sqlite_clinic: tuple[str, SmallClinic, list[str]],
) -> None:
    url, clinic, tokens = sqlite_clinic
    contested = {
        "clinician_id": clinic.neurologist.id,
        "appointment_type_id": clinic.consultation.id,
        "starts_at": datetime(2026, 3, 3, 10, tzinfo=UTC).isoformat(),
    }
    bodies = [contested] * RACERS + [
        {
            "clinician_id": clinic.second_neurologist.id,
            "appointment_type_id": clinic.consultation.id,
            "starts_at": starts.isoformat(),
        }
        for starts in free_slots(CLIENTS - RACERS)
    ]
    answers: list[tuple[int, float]] = []
    lock = threading.Lock()
    start_together = threading.Barrier(CLIENTS)

    with served(make_app(url)) as base_url:

        def book(token: str, body: dict[str, object]) -> None:
            with httpx.Client(base_url=base_url, timeout=120) as http:
                start_together.wait()
                started = time.monotonic()
                answer = http.post(
                    "/api/v1/appointments",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                )
                with lock:
                    answers.append((answer.status_code, time.monotonic() - started))

        threads = [
            threading.Thread(target=book, args=(token, body))
            for token, body in zip(tokens, bodies, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: 1 + CLIENTS - RACERS, 409: RACERS - 1}
    slowest = max(seconds for _, seconds in answers)
    assert slowest < 20, f"the slowest booking took {slowest:.1f} s"
    with session_factory(url)() as session:
        booked = session.scalar(select(func.count()).select_from(Appointment))
    assert booked == 1 + CLIENTS - RACERS


def test_waiting_too_long_for_the_database_connection_is_a_503_with_retry_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_QUEUE_SECONDS", 0.2)
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    app = create_app()
    app.state.database_url = url
    with TestClient(app) as client, engine_for(url).connect() as holder:
        holder.exec_driver_sql("SELECT 1")  # begins, so holds the process's one connection
        answer = client.get("/api/v1/me", headers={"Authorization": "Bearer anything"})
    engine_for(url).dispose()
    assert answer.status_code == 503
    assert answer.headers["content-type"] == PROBLEM
    assert int(answer.headers["retry-after"]) > 0


class Gate:
    """An ASGI app that counts who is inside and holds everyone until it is opened."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.opened = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        await self.opened.wait()
        self.inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _burst(queue: RequestQueue, gate: Gate, requests: int) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=queue)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        pending = [asyncio.create_task(client.get("/")) for _ in range(requests)]
        await asyncio.sleep(0.3)
        gate.opened.set()
        return await asyncio.gather(*pending)


def test_the_queue_lets_in_no_more_than_its_limit_and_serves_everyone_in_turn() -> None:
    gate = Gate()
    queue = RequestQueue(gate, in_flight=3, wait_seconds=10, applies=lambda scope: True)
    answers = asyncio.run(_burst(queue, gate, 12))
    assert [answer.status_code for answer in answers] == [200] * 12
    assert gate.most_inside == 3


def test_a_request_that_waits_too_long_in_the_queue_is_told_when_to_retry() -> None:
    gate = Gate()
    queue = RequestQueue(gate, in_flight=1, wait_seconds=0.1, applies=lambda scope: True)
    answers = asyncio.run(_burst(queue, gate, 3))
    assert sorted(answer.status_code for answer in answers) == [200, 503, 503]
    refused = next(answer for answer in answers if answer.status_code == 503)
    assert refused.headers["content-type"] == PROBLEM
    assert refused.headers["retry-after"] == "5"


def test_only_sqlite_backed_apps_are_queued(tmp_path: Path) -> None:
    app = FastAPI()
    app.state.database_url = f"sqlite:///{tmp_path / 'x.db'}"
    assert uses_sqlite({"type": "http", "app": app, "headers": []})
    app.state.database_url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert not uses_sqlite({"type": "http", "app": app, "headers": []})
