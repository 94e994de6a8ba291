"""Outbox throughput with one and with three worker processes on one PostgreSQL database, and
proof that no message went out twice.

What runs, for each worker count: a scratch database (migrated), `PATIENTS` patients who
consented to e-mail, one pending e-mail to each, then that many `plexcare worker` rounds
(`deliver_due`, the function the worker runs) in separate processes until the outbox is empty.
The e-mail gateway is a stand-in that takes `GATEWAY_MS` per message, as a real SMTP relay
or SMS gateway round trip does; a worker holds its claim (`FOR UPDATE SKIP LOCKED`) while it
sends, so more workers overlap those waits. Each process reports every address it sent to,
and the run fails if any address was sent to twice or any message is not `sent` once.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bench.booking_setup import scratch_database, server_problem, sqlalchemy_url
from sqlalchemy import func, insert, select

from plexcare import migrate
from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.config import Settings
from plexcare.db import engine_for, session_factory, utc_now
from plexcare.notifications.models import OutboxMessage
from plexcare.notifications.senders import LoggingShortMessageSender, OutgoingEmail
from plexcare.notifications.worker import Senders, deliver_due

PATIENTS = int(os.environ.get("PLEXCARE_BENCH_OUTBOX_MESSAGES", "1500"))
GATEWAY_MS = 2.0
WORKER_COUNTS = (1, 3)


class SlowGateway:
    """An e-mail gateway that answers after `GATEWAY_MS` and keeps the addresses sent to."""

    def __init__(self) -> None:
        self.sent_to: list[str] = []

    def send(self, message: OutgoingEmail) -> None:
        time.sleep(GATEWAY_MS / 1000)
        self.sent_to.append(message.to)


def _fill(url: str) -> None:
    """The patients and one pending e-mail to each, due now."""
    migrate.upgrade(url)
    now = utc_now()
    with session_factory(url)() as session:
        session.execute(
            insert(User),
            [
                {
                    "email": f"outbox-{number}@bench.plexcare.example",
                    "password_hash": "not-used",
                    "role": Role.patient.value,
                    "full_name": f"Outbox Patient {number}",
                    "consent_email": True,
                    "consent_sms": False,
                    "is_active": True,
                    "created_at": now,
                }
                for number in range(PATIENTS)
            ],
        )
        ids = session.scalars(select(User.id)).all()
        session.execute(
            insert(OutboxMessage),
            [
                {
                    "kind": "waitlist_offer",
                    "channel": "email",
                    "recipient_user_id": user_id,
                    "status": "pending",
                    "attempts": 0,
                    "due_at": now,
                    "created_at": now,
                }
                for user_id in ids
            ],
        )
        session.commit()
    engine_for(url).dispose()


def _work(url: str, reply: Connection, start: Any) -> None:
    """One worker process: ready (imports done, a connection open), then on `start` rounds
    until a round finds nothing left to send."""
    gateway = SlowGateway()
    outlets = Senders(email=gateway, short_message=LoggingShortMessageSender())
    sessions = session_factory(url)
    settings = Settings()
    with sessions() as session:
        session.execute(select(1))
    reply.send("ready")
    start.wait()
    while deliver_due(sessions=sessions, outlets=outlets, settings=settings, now=utc_now()).sent:
        pass
    reply.send(gateway.sent_to)
    reply.close()


@dataclass(frozen=True)
class OutboxRun:
    workers: int
    seconds: float
    sent: int
    duplicates: int
    not_sent: int

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def _run(workers: int) -> OutboxRun:
    with scratch_database(f"plexcare_outbox_{os.getpid()}_{workers}") as database:
        url = sqlalchemy_url(database)
        _fill(url)
        context = multiprocessing.get_context("spawn")
        pipes = [context.Pipe(duplex=False) for _ in range(workers)]
        start = context.Event()
        processes = [
            context.Process(target=_work, args=(url, sender, start)) for _, sender in pipes
        ]
        for process in processes:
            process.start()
        for receiver, _ in pipes:
            receiver.recv()
        started = time.perf_counter()
        start.set()
        sent_to = [address for receiver, _ in pipes for address in receiver.recv()]
        seconds = time.perf_counter() - started
        for process in processes:
            process.join()
        with session_factory(url)() as session:
            not_sent = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where((OutboxMessage.status != "sent") | (OutboxMessage.attempts != 1))
            )
        engine_for(url).dispose()
    times = Counter(sent_to)
    return OutboxRun(
        workers=workers,
        seconds=seconds,
        sent=len(sent_to),
        duplicates=sum(count - 1 for count in times.values()),
        not_sent=int(not_sent or 0),
    )


def main() -> None:
    problem = server_problem()
    if problem is not None:
        print(f"outbox benchmark skipped: {problem}")
        return
    runs = [_run(workers) for workers in WORKER_COUNTS]
    for run in runs:
        verdict = "none" if not (run.duplicates or run.not_sent) else "SENT TWICE OR NOT SENT"
        print(
            f"  {run.workers} worker process{'es' if run.workers > 1 else ''}: "
            f"{run.sent:,} messages in {run.seconds:.1f} s = {run.rate:,.0f} messages/s "
            f"(gateway {GATEWAY_MS:.0f} ms each); sent twice: {run.duplicates}, "
            f"not sent once: {run.not_sent}; problems: {verdict}"
        )


if __name__ == "__main__":
    main()
