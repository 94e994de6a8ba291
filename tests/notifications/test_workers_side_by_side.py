"""Several outbox workers against one PostgreSQL database: each message is sent exactly once.

Every worker's first send waits until all three workers are sending at the same moment, each
holding the claim on a different message. A claim that blocked instead of skipping a message
another worker holds (no `SKIP LOCKED`) would never reach that moment, and a claim that did not
lock at all would let two workers send one message.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from plexcare.accounts.roles import Role
from plexcare.config import Settings
from plexcare.db import session_factory
from plexcare.notifications.models import OutboxMessage
from plexcare.notifications.senders import OutgoingEmail
from plexcare.notifications.worker import Senders, deliver_due
from tests.conftest_db import TEST_NOW, add_user, empty_tables
from tests.notifications.mailbox import RecordingShortMessages

WORKERS = 3
MESSAGES = 45


@pytest.fixture
def postgres_only(postgres_url: str) -> Iterator[str]:
    empty_tables(postgres_url)
    yield postgres_url


class MeetingOutlet:
    """An e-mail gateway shared by the workers: the first send of each worker waits for the
    others (all three then hold a claimed message), and every send is recorded."""

    def __init__(self, meeting: threading.Barrier, sent: list[OutgoingEmail]) -> None:
        self._meeting = meeting
        self._met = False
        self._sent = sent
        self._lock = threading.Lock()

    def send(self, message: OutgoingEmail) -> None:
        if not self._met:
            self._met = True
            self._meeting.wait()
        with self._lock:
            self._sent.append(message)


def _queue_offers(session: Session) -> None:
    """One pending e-mail to each of `MESSAGES` patients who consented to e-mail."""
    patients = [
        add_user(session, email=f"patient{number}@example.org", role=Role.patient)
        for number in range(MESSAGES)
    ]
    session.execute(
        insert(OutboxMessage),
        [
            {
                "kind": "waitlist_offer",
                "channel": "email",
                "recipient_user_id": patient.id,
                "status": "pending",
                "attempts": 0,
                "due_at": TEST_NOW,
                "created_at": TEST_NOW,
            }
            for patient in patients
        ],
    )
    session.commit()


def test_three_workers_side_by_side_send_every_message_exactly_once(postgres_only: str) -> None:
    with session_factory(postgres_only)() as session:
        _queue_offers(session)
    sessions = session_factory(postgres_only)
    meeting = threading.Barrier(WORKERS, timeout=30)
    sent: list[OutgoingEmail] = []
    failures: list[BaseException] = []

    def work() -> None:
        outlets = Senders(
            email=MeetingOutlet(meeting, sent), short_message=RecordingShortMessages()
        )
        try:
            deliver_due(sessions=sessions, outlets=outlets, settings=Settings(), now=TEST_NOW)
        except BaseException as error:  # reported by the test thread below
            failures.append(error)
            meeting.abort()

    workers = [threading.Thread(target=work) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    times_sent = Counter(message.to for message in sent)
    assert len(times_sent) == MESSAGES
    assert set(times_sent.values()) == {1}
    with session_factory(postgres_only)() as session:
        rows = session.execute(select(OutboxMessage.status, OutboxMessage.attempts)).all()
    assert Counter(rows) == Counter({("sent", 1): MESSAGES})
