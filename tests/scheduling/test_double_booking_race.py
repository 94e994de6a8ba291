"""Many clients booking one slot at the same instant against a real uvicorn server:
exactly one wins, everyone else gets 409, and the database holds one appointment."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.roles import Role
from plexcare.scheduling.models import Appointment
from tests.conftest_db import TEST_NOW, SmallClinic, add_user, make_app
from tests.scheduling.test_booking import booking_body

CLIENTS = 24


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(db_url: str) -> Iterator[str]:
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


def test_concurrent_clients_booking_one_slot_get_one_201_and_the_rest_409(
    server: str, session: Session, small_clinic: SmallClinic
) -> None:
    tokens = []
    for number in range(CLIENTS):
        user = add_user(session, email=f"racer{number}@example.org", role=Role.patient)
        raw, _ = accounts.issue_token(
            session=session,
            user=user,
            kind="bearer",
            now=TEST_NOW,
            lifetime=timedelta(days=365),
        )
        tokens.append(raw)
    session.commit()
    start_together = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def book(token: str) -> None:
        with httpx.Client(base_url=server, timeout=60) as http:
            start_together.wait()
            answer = http.post(
                "/api/v1/appointments",
                json=booking_body(small_clinic),
                headers={"Authorization": f"Bearer {token}"},
            )
            with lock:
                statuses.append(answer.status_code)

    threads = [threading.Thread(target=book, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [409] * (CLIENTS - 1)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Appointment)) == 1
