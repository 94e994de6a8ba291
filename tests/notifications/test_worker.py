"""The outbox worker against a local SMTP server: sends, retries, respects consent."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.config import Settings
from plexcare.db import session_factory
from plexcare.notifications.models import OutboxMessage
from plexcare.notifications.senders import LoggingShortMessageSender, SmtpEmailSender
from plexcare.notifications.worker import MAX_ATTEMPTS, Senders, deliver_due
from plexcare.scheduling import service as booking
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.notifications.mailbox import RecordingShortMessages
from tests.scheduling.test_booking import TUESDAY_10, patient


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def book(session: Session, clinic_people: SmallClinic) -> None:
    booking.book(
        session=session,
        actor=patient(clinic_people),
        clinician_id=clinic_people.neurologist.id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    session.commit()


def test_the_confirmation_goes_by_email_with_an_outlook_ready_invitation_and_no_sms_without_consent(
    db_url: str, session: Session, small_clinic: SmallClinic, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    book(session, small_clinic)
    texts = RecordingShortMessages()
    report = deliver_due(
        sessions=session_factory(db_url),
        outlets=Senders(
            email=SmtpEmailSender(host="127.0.0.1", port=port, sender="clinic@plexcare.example"),
            short_message=texts,
        ),
        settings=Settings(),
        now=TEST_NOW,
    )
    assert report.sent == 1 and report.skipped == 1  # SMS consent not given
    assert texts.sent == []
    (message,) = inbox.messages
    assert message["To"] == "ann@example.org"
    calendar = next(part for part in message.walk() if part.get_content_type() == "text/calendar")
    ics = calendar.get_payload(decode=True).decode()
    assert "METHOD:REQUEST" in ics and "DTSTART:20260303T100000Z" in ics and "TZID" not in ics
    statuses = session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)).all()
    assert list(statuses) == ["sent", "skipped", "pending", "pending"]  # reminders wait


def test_an_unreachable_smtp_server_is_retried_with_backoff_then_given_up(
    db_url: str, session: Session, small_clinic: SmallClinic
) -> None:
    book(session, small_clinic)
    outlets = Senders(
        email=SmtpEmailSender(
            host="127.0.0.1", port=free_port(), sender="c@plexcare.example", timeout=2
        ),
        short_message=LoggingShortMessageSender(),
    )
    sessions = session_factory(db_url)
    now = TEST_NOW
    for _ in range(MAX_ATTEMPTS):
        deliver_due(sessions=sessions, outlets=outlets, settings=Settings(), now=now)
        now += timedelta(hours=2)
    session.expire_all()
    confirmation = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "confirmation", OutboxMessage.channel == "email"
        )
    ).one()
    assert confirmation.status == "failed" and confirmation.attempts == MAX_ATTEMPTS
