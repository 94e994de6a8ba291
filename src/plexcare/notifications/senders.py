"""Deliver messages: e-mail over SMTP, SMS/WhatsApp behind an interface, and the consent check.

The outbox worker owns retries; a sender makes one attempt and, when it fails, raises
``DeliveryError`` saying whether trying again could help (a refused recipient will not change,
a dropped connection might). Nothing here logs a password, a message body, or a full address:
logs are read by more people than patient records are.

Usage::

    from plexcare.notifications.senders import (
        Attachment, Channel, ConsentRecord, OutgoingEmail, ShortMessage, SmtpEmailSender,
        LoggingShortMessageSender, has_consent,
    )

    if has_consent(records=patient_consents, channel=Channel.EMAIL, now=now):
        SmtpEmailSender(host="127.0.0.1", port=1025, sender="appointments@clinic.example").send(
            OutgoingEmail(
                to="patient@example.org",
                subject=rendered.subject,
                text=rendered.text,
                attachments=(Attachment.calendar(ics=ics_bytes, method="REQUEST"),),
            )
        )
    LoggingShortMessageSender().send(
        ShortMessage(to="+447700900123", text=rendered.short_text, channel=Channel.SMS)
    )
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from enum import StrEnum
from typing import Protocol

__all__ = [
    "Attachment",
    "Channel",
    "ConsentRecord",
    "DeliveryError",
    "EmailSender",
    "LoggingShortMessageSender",
    "MessageInputError",
    "OutgoingEmail",
    "ShortMessage",
    "ShortMessageSender",
    "SmtpEmailSender",
    "has_consent",
    "mask_address",
    "to_mime",
]

_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class MessageInputError(ValueError):
    """Bad message input, naming the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class DeliveryError(Exception):
    """One delivery attempt failed; ``permanent`` tells the worker not to retry."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(StrEnum):
    """The ways the clinic can reach a patient; each needs its own consent."""

    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail; ``parameters`` go on its Content-Type (e.g. method)."""

    filename: str
    content: bytes
    content_type: str
    parameters: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.content_type.count("/") != 1:
            raise MessageInputError("content_type", f"not a MIME type: {self.content_type!r}")

    @classmethod
    def calendar(cls, *, ics: bytes, method: str, filename: str = "invite.ics") -> Attachment:
        """The .ics invitation as ``text/calendar; method=...; charset=utf-8``.

        The method parameter must match the file's METHOD, or Outlook shows a plain attachment
        instead of the meeting buttons.
        """
        return cls(
            filename=filename,
            content=ics,
            content_type="text/calendar",
            parameters=(("method", method), ("charset", "utf-8")),
        )


@dataclass(frozen=True)
class OutgoingEmail:
    """One plain-text e-mail to one patient, with optional attachments."""

    to: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()

    def __post_init__(self) -> None:
        if not _EMAIL.match(self.to):
            raise MessageInputError("to", "not an e-mail address")
        if "\n" in self.subject or "\r" in self.subject:
            raise MessageInputError("subject", "must be one line")


@dataclass(frozen=True)
class ShortMessage:
    """A text message over SMS or WhatsApp to an E.164 number (+4477…)."""

    to: str
    text: str
    channel: Channel

    def __post_init__(self) -> None:
        if not _PHONE.match(self.to):
            raise MessageInputError("to", "must be an E.164 phone number such as +447700900123")
        if self.channel is Channel.EMAIL:
            raise MessageInputError("channel", "a short message goes by SMS or WhatsApp")


class EmailSender(Protocol):
    """Anything that can make one attempt to deliver an e-mail."""

    def send(self, message: OutgoingEmail) -> None: ...


class ShortMessageSender(Protocol):
    """Anything that can make one attempt to deliver an SMS or WhatsApp message."""

    def send(self, message: ShortMessage) -> None: ...


def mask_address(address: str) -> str:
    """Enough of an address to tell deliveries apart in a log, not enough to identify anyone."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:3]}***{address[-2:]}" if len(address) > 5 else "***"


def to_mime(message: OutgoingEmail, *, sender: str) -> EmailMessage:
    """The MIME message: a text/plain body, then each attachment with its content type."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False, usegmt=True)
    mime["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mime.set_content(message.text)
    for attachment in message.attachments:
        maintype, subtype = attachment.content_type.split("/")
        mime.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=dict(attachment.parameters),
        )
    return mime


class SmtpEmailSender:
    """Sends over SMTP with the standard library; STARTTLS and login when configured."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self._password = password
        self.timeout = timeout

    def __repr__(self) -> str:
        return (
            f"SmtpEmailSender(host={self.host!r}, port={self.port}, sender={self.sender!r}, "
            f"starttls={self.starttls}, username={self.username!r}, password=<hidden>)"
        )

    def send(self, message: OutgoingEmail) -> None:
        mime = to_mime(message, sender=self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None and self._password is not None:
                    smtp.login(self.username, self._password)
                smtp.send_message(mime)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError("recipient refused", permanent=True) from error
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError("SMTP login refused", permanent=False) from error
        except smtplib.SMTPResponseException as error:
            permanent = 500 <= error.smtp_code < 600
            raise DeliveryError(f"SMTP answered {error.smtp_code}", permanent=permanent) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP unavailable: {type(error).__name__}", permanent=False) from (
                error
            )


class LoggingShortMessageSender:
    """Stands in for an SMS/WhatsApp gateway: logs the masked number and the length, keeps the
    message in ``sent`` for tests and demos, and never writes the text to the log (it may hold
    a one-time code or a reschedule link)."""

    def __init__(self, *, logger: logging.Logger | None = None) -> None:
        self._logger = logger or logging.getLogger("plexcare.notifications.short_messages")
        self.sent: list[ShortMessage] = []

    def send(self, message: ShortMessage) -> None:
        self.sent.append(message)
        self._logger.info(
            "%s message to %s (%d characters)",
            message.channel.value,
            mask_address(message.to),
            len(message.text),
        )


@dataclass(frozen=True)
class ConsentRecord:
    """The patient said yes (or withdrew) for one channel at one moment."""

    channel: Channel
    granted: bool
    recorded_at: datetime

    def __post_init__(self) -> None:
        if self.recorded_at.tzinfo is None or self.recorded_at.utcoffset() is None:
            raise MessageInputError("recorded_at", "must be a time-zone-aware datetime")


def has_consent(*, records: Iterable[ConsentRecord], channel: Channel, now: datetime) -> bool:
    """Whether the patient's latest word on this channel, as of ``now``, is yes.

    No record means no: the clinic asks before it writes. A withdrawal wins over an earlier
    (or simultaneous) grant, and a record dated after ``now`` does not count yet.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise MessageInputError("now", "must be a time-zone-aware datetime")
    latest: ConsentRecord | None = None
    for record in records:
        if record.channel != channel or record.recorded_at > now:
            continue
        if (
            latest is None
            or record.recorded_at > latest.recorded_at
            or (record.recorded_at == latest.recorded_at and not record.granted)
        ):
            latest = record
    return latest is not None and latest.granted
