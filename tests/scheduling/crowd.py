"""A crowd of clients sending requests at the same instant to a real uvicorn server, on each
database: what the race tests use to show that concurrent requests serialize. A test folder
that races offers the `server` fixture by importing it into its conftest."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.web.problems import PROBLEM_JSON
from tests.conftest_db import TEST_NOW, add_user, make_app

CROWD = 50


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(db_url: str) -> Iterator[str]:
    """The app under uvicorn on the test database (SQLite or PostgreSQL), for one test."""
    port = free_port()
    config = uvicorn.Config(
        make_app(db_url), host="127.0.0.1", port=port, log_level="warning", workers=1
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def bearer(session: Session, user: User) -> dict[str, str]:
    raw, _ = accounts.issue_token(
        session=session, user=user, kind="bearer", now=TEST_NOW, lifetime=timedelta(days=365)
    )
    return {"Authorization": f"Bearer {raw}"}


def new_patients(session: Session, count: int, prefix: str = "racer") -> list[dict[str, str]]:
    """`count` patients, each as the headers of their bearer token (committed)."""
    headers = []
    for number in range(count):
        user = add_user(session, email=f"{prefix}{number}@example.org", role=Role.patient)
        headers.append(bearer(session, user))
    session.commit()
    return headers


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    call: Call
    status: int
    content_type: str
    body: Any

    @property
    def is_problem(self) -> bool:
        return self.content_type.startswith(PROBLEM_JSON)


def all_at_once(server: str, calls: Sequence[Call]) -> list[Answer]:
    """POST every call from its own thread and connection, released together; answers in
    the order of the calls.

    End the test session's transaction first (commit): on SQLite the server and the test
    share the process's one connection, and a test holding it starves the server."""
    start_together = threading.Barrier(len(calls))
    answers: list[Answer | None] = [None] * len(calls)

    def send(position: int, call: Call) -> None:
        with httpx.Client(base_url=server, timeout=60) as http:
            start_together.wait()
            response = http.post(call.path, json=call.body, headers=call.headers)
        answers[position] = Answer(
            call=call,
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=response.json(),
        )

    threads = [
        threading.Thread(target=send, args=(position, call)) for position, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def statuses(answers: Sequence[Answer]) -> list[int]:
    return sorted(answer.status for answer in answers)


def free_consultation_starts(count: int) -> list[datetime]:
    """Half-hour consultation starts the small clinic's clinicians all offer, from Wednesday
    4 March 2026 on (weekdays, 09:00–12:00 and 13:30–16:30 GMT, outside the lunch break)."""
    starts: list[datetime] = []
    day = datetime(2026, 3, 4, tzinfo=UTC)
    while len(starts) < count:
        if day.weekday() < 5:
            for minutes in [
                *range(9 * 60, 12 * 60 + 1, 30),
                *range(13 * 60 + 30, 16 * 60 + 31, 30),
            ]:
                starts.append(day + timedelta(minutes=minutes))
        day += timedelta(days=1)
    return starts[:count]
