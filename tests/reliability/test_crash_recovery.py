"""kill -9 in the middle of bookings and uploads, restart, and compare what the database holds
with what each client was told: nothing lost, nothing booked twice, no orphan files.

A real server process (`plexcare serve`, which migrates and sweeps unfinished uploads at
start-up) on PostgreSQL, real HTTP clients in threads. Every booking is
sent with an Idempotency-Key; a client whose request died with the server sends it again after
the restart, as a real client would, and must get one booking, never two.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from plexcare.accounts import service as accounts
from plexcare.accounts.roles import Role
from plexcare.db import session_factory, utc_now
from plexcare.scheduling.models import Appointment
from plexcare.second_opinions.models import SecondOpinionFile
from plexcare.second_opinions.uploads import PARTIAL_PREFIX, PARTIAL_SUFFIX, is_stored_name
from tests.conftest_db import SmallClinic, add_user, empty_tables

pytestmark = pytest.mark.postgres

PATIENTS = 12
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    url: str
    database_url: str
    upload_dir: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "PLEXCARE_DATABASE_URL": self.database_url,
            "PLEXCARE_SECRET_KEY": "crash-test-secret-" + "x" * 32,
            "PLEXCARE_UPLOAD_DIR": str(self.upload_dir),
            "PLEXCARE_UPLOAD_SWEEP_GRACE_MINUTES": "0",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "plexcare.cli", "serve", "--port", str(self.port)],
            env=env,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def server(postgres_url: str, tmp_path: Path) -> Iterator[Server]:
    empty_tables(postgres_url)
    running = Server(url=postgres_url, database_url=postgres_url, upload_dir=tmp_path / "up")
    running.upload_dir.mkdir(mode=0o700)
    yield running
    running.stop()


def _tokens(database_url: str) -> tuple[list[str], SmallClinic]:
    now = utc_now()
    with session_factory(database_url)() as session:
        clinic = SmallClinic(session)
        tokens = []
        for number in range(PATIENTS):
            patient = add_user(
                session, email=f"crash{number}@example.org", role=Role.patient, full_name="P"
            )
            raw, _ = accounts.issue_token(
                session=session, user=patient, kind="bearer", now=now, lifetime=timedelta(days=1)
            )
            tokens.append(raw)
        session.commit()
        return tokens, clinic


@dataclass
class Told:
    key: str
    slot: dict[str, object]
    token: str
    appointment_id: int | None = None
    refused: bool = False
    lost: bool = False


def _book(base: str, told: Told) -> None:
    try:
        answer = httpx.post(
            f"{base}/api/v1/appointments",
            json=told.slot,
            headers={"Authorization": f"Bearer {told.token}", "Idempotency-Key": told.key},
            timeout=10,
        )
    except httpx.HTTPError:
        told.lost = True
        return
    if answer.status_code == 201:
        told.appointment_id = int(answer.json()["id"])
        told.lost = False
    elif answer.status_code >= 500:
        told.lost = True
    else:
        told.refused = True
        told.lost = False


def test_bookings_survive_a_kill_9_and_retries_book_once(server: Server) -> None:
    tokens, clinic = _tokens(server.database_url)
    server.start()
    found = httpx.get(
        f"{server.base}/api/v1/slots",
        params={"clinician_id": clinic.neurologist.id, "limit": 200},
        headers={"Authorization": f"Bearer {tokens[0]}"},
        timeout=10,
    )
    assert found.status_code == 200, found.text
    slots = found.json()["items"]
    assert len(slots) >= 60
    plan = [
        Told(
            key=uuid.uuid4().hex,
            token=tokens[index % PATIENTS],
            slot={
                "clinician_id": slot["clinician_id"],
                "appointment_type_id": slot["appointment_type_id"],
                "starts_at": slot["starts_at"],
            },
        )
        for index, slot in enumerate(slots[:60])
    ]
    answered = threading.Semaphore(0)

    def book_and_count(told: Told) -> None:
        _book(server.base, told)
        answered.release()

    threads = [threading.Thread(target=book_and_count, args=(told,)) for told in plan]
    for thread in threads:
        thread.start()
    for _ in range(len(plan) // 4):  # kill with a quarter answered and the rest in flight
        assert answered.acquire(timeout=30)
    server.kill()
    for thread in threads:
        thread.join()
    interrupted = [told for told in plan if told.lost]
    assert interrupted, "the kill interrupted no request; the test proved nothing"
    assert len(interrupted) < len(plan), "nothing was answered before the kill"
    server.start()
    for told in interrupted:
        _book(server.base, told)
    assert not any(told.lost for told in plan)
    confirmed = {told.appointment_id for told in plan if told.appointment_id is not None}
    with session_factory(server.database_url)() as session:
        booked = session.scalars(select(Appointment).where(Appointment.status == "booked")).all()
        stored = {appointment.id for appointment in booked}
        starts = [(a.clinician_id, a.starts_at) for a in booked]
    assert confirmed <= stored, "a booking a client was told about is missing"
    assert stored <= confirmed, "a booking nobody was told about exists"
    assert len(starts) == len(set(starts)), "a slot was booked twice"


def test_an_upload_killed_midway_leaves_no_file_after_restart(server: Server) -> None:
    tokens, _clinic = _tokens(server.database_url)
    server.start()
    body_started = threading.Event()

    def slow_body() -> Iterator[bytes]:
        boundary = b"--crashboundary\r\n"
        yield boundary + b'Content-Disposition: form-data; name="reason"\r\n\r\nsecond look\r\n'
        yield boundary + (
            b'Content-Disposition: form-data; name="files"; filename="scan.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        )
        body_started.set()
        for _ in range(400):
            yield b"0" * 16384
            time.sleep(0.01)

    def upload() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(
                f"{server.base}/api/v1/second-opinions",
                content=slow_body(),
                headers={
                    "Authorization": f"Bearer {tokens[0]}",
                    "Content-Type": "multipart/form-data; boundary=crashboundary",
                },
                timeout=30,
            )

    sender = threading.Thread(target=upload)
    sender.start()
    assert body_started.wait(10)
    time.sleep(0.5)
    server.kill()
    sender.join()
    # The body is spooled to unlinked temporary files, so a kill while it arrives leaves
    # nothing. A kill in the short window while a checked file is written under the upload
    # folder leaves a `.part` file, or a stored file whose row was never committed: plant both,
    # as such a kill would, and the restart must sweep them.
    partial = server.upload_dir / f"{PARTIAL_PREFIX}killed{PARTIAL_SUFFIX}"
    partial.write_bytes(b"%PDF-1.4 half")
    unreferenced = server.upload_dir / f"{secrets.token_urlsafe(24)}.pdf"
    assert is_stored_name(unreferenced.name)
    unreferenced.write_bytes(b"%PDF-1.4 whole")
    server.start()
    with session_factory(server.database_url)() as session:
        rows = session.scalar(select(func.count()).select_from(SecondOpinionFile))
    left = [path for path in server.upload_dir.rglob("*") if path.is_file()]
    assert rows == 0
    assert left == [], f"orphan files after restart: {left}"
