"""Senders: a real local SMTP server receives the invitation; logs never leak secrets."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from plexcare.notifications.icalendar import (
    CalendarAppointment,
    CalendarMethod,
    CalendarParty,
    build_invitation,
)
from plexcare.notifications.senders import (
    Attachment,
    Channel,
    ConsentRecord,
    DeliveryError,
    LoggingShortMessageSender,
    MessageInputError,
    OutgoingEmail,
    ShortMessage,
    SmtpEmailSender,
    has_consent,
)

NOW = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
SENDER = "appointments@clinic.example"


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it receives and can refuse one recipient."""

    refuse: str | None = None
    received: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler = Mailbox(refuse="nobody@example.org")
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def invitation() -> bytes:
    return build_invitation(
        appointment=CalendarAppointment(
            appointment_id="4711",
            sequence=0,
            start=datetime(2025, 7, 1, 9, 0, tzinfo=UTC),
            end=datetime(2025, 7, 1, 10, 0, tzinfo=UTC),
            time_zone="Europe/London",
            clinic_name="plexcare Neuromuscular Clinic",
            clinician_name="Dr Ada Okafor",
            visit_name="Consultation",
            location="1 Example Street, London",
            organizer=CalendarParty(email=SENDER, name="plexcare Clinic"),
            attendee=CalendarParty(email="sam@example.org", name="Sam Patient"),
        ),
        method=CalendarMethod.REQUEST,
        stamp=NOW,
        domain="clinic.example",
    )


def confirmation(to: str = "sam@example.org") -> OutgoingEmail:
    return OutgoingEmail(
        to=to,
        subject="Appointment confirmed: Tuesday 1 July 2025, 10:00 BST",
        text="Dear Sam Patient,\n\nYour appointment is booked.\n",
        attachments=(Attachment.calendar(ics=invitation(), method="REQUEST"),),
    )


def test_the_smtp_sender_delivers_the_message_with_its_calendar_invitation(
    mailbox: tuple[Mailbox, int],
) -> None:
    handler, port = mailbox
    SmtpEmailSender(host="127.0.0.1", port=port, sender=SENDER).send(confirmation())

    (envelope,) = handler.received
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ["sam@example.org"]
    assert isinstance(envelope.content, bytes)
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "Appointment confirmed: Tuesday 1 July 2025, 10:00 BST"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "Your appointment is booked." in body.get_content()
    (calendar_part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_filename() == "invite.ics"
    ics = calendar_part.get_payload(decode=True)
    assert ics == invitation()
    assert str(icalendar.Calendar.from_ical(ics)["METHOD"]) == "REQUEST"


def test_a_refused_recipient_is_a_permanent_failure(mailbox: tuple[Mailbox, int]) -> None:
    handler, port = mailbox
    sender = SmtpEmailSender(host="127.0.0.1", port=port, sender=SENDER)
    with pytest.raises(DeliveryError) as raised:
        sender.send(confirmation(to="nobody@example.org"))
    assert raised.value.permanent
    assert handler.received == []


def test_an_unreachable_server_is_worth_retrying() -> None:
    sender = SmtpEmailSender(host="127.0.0.1", port=free_port(), sender=SENDER, timeout=2)
    with pytest.raises(DeliveryError) as raised:
        sender.send(confirmation())
    assert not raised.value.permanent


def test_required_starttls_is_never_skipped_when_the_server_lacks_it(
    mailbox: tuple[Mailbox, int],
) -> None:
    handler, port = mailbox
    sender = SmtpEmailSender(host="127.0.0.1", port=port, sender=SENDER, starttls=True)
    with pytest.raises(DeliveryError):
        sender.send(confirmation())
    assert handler.received == []


def test_the_smtp_password_never_appears_in_the_senders_repr() -> None:
    sender = SmtpEmailSender(
        host="smtp.example", port=587, sender=SENDER, username="clinic", password="s3cret-pw"
    )
    assert "s3cret-pw" not in repr(sender)
    assert "<hidden>" in repr(sender)


def test_the_logging_sms_sender_keeps_the_message_but_logs_no_text_or_full_number(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sender = LoggingShortMessageSender()
    message = ShortMessage(to="+447700900123", text="Your code is 918273", channel=Channel.SMS)
    with caplog.at_level(logging.INFO):
        sender.send(message)
    assert sender.sent == [message]
    logged = caplog.text
    assert "sms message to +44***23" in logged
    assert "+447700900123" not in logged and "918273" not in logged


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ShortMessage(to="07700 900123", text="x", channel=Channel.SMS), "to"),
        (lambda: ShortMessage(to="+447700900123", text="x", channel=Channel.EMAIL), "channel"),
        (lambda: OutgoingEmail(to="not-an-address", subject="s", text="t"), "to"),
        (lambda: OutgoingEmail(to="a@b.org", subject="a\r\nBcc: x@y.org", text="t"), "subject"),
        (lambda: Attachment(filename="x", content=b"", content_type="calendar"), "content_type"),
    ],
)
def test_bad_message_input_is_refused_naming_the_field(build: object, field: str) -> None:
    with pytest.raises(MessageInputError) as raised:
        build()  # type: ignore[operator]
    assert raised.value.field == field


def consent(channel: Channel, granted: bool, days_ago: int) -> ConsentRecord:
    return ConsentRecord(
        channel=channel, granted=granted, recorded_at=NOW - timedelta(days=days_ago)
    )


def test_no_consent_record_means_no_message() -> None:
    assert not has_consent(records=[], channel=Channel.EMAIL, now=NOW)


def test_the_latest_word_per_channel_decides() -> None:
    records = [
        consent(Channel.EMAIL, True, 30),
        consent(Channel.EMAIL, False, 3),
        consent(Channel.SMS, False, 30),
        consent(Channel.SMS, True, 2),
    ]
    assert not has_consent(records=records, channel=Channel.EMAIL, now=NOW)
    assert has_consent(records=records, channel=Channel.SMS, now=NOW)
    assert not has_consent(records=records, channel=Channel.WHATSAPP, now=NOW)


def test_a_withdrawal_at_the_same_moment_as_a_grant_wins_and_future_records_wait() -> None:
    same_moment = [consent(Channel.SMS, False, 1), consent(Channel.SMS, True, 1)]
    assert not has_consent(records=same_moment, channel=Channel.SMS, now=NOW)
    future_grant = [consent(Channel.EMAIL, True, -1)]
    assert not has_consent(records=future_grant, channel=Channel.EMAIL, now=NOW)
