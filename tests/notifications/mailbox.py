"""Stand-ins for the e-mail and SMS gateways that keep what was sent, and the invitations read
back from it by the independent vobject parser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import vobject

from plexcare.notifications.senders import OutgoingEmail, ShortMessage


class RecordingEmails:
    def __init__(self) -> None:
        self.sent: list[OutgoingEmail] = []

    def send(self, message: OutgoingEmail) -> None:
        self.sent.append(message)


class RecordingShortMessages:
    def __init__(self) -> None:
        self.sent: list[ShortMessage] = []

    def send(self, message: ShortMessage) -> None:
        self.sent.append(message)


@dataclass(frozen=True)
class SentInvitation:
    """One .ics as a calendar client reads it, with the subject of the e-mail it came in."""

    subject: str
    method: str
    uid: str
    sequence: int
    stamp: datetime
    start: datetime
    end: datetime


def read_invitation(ics: bytes, *, subject: str = "") -> SentInvitation:
    calendar = vobject.readOne(ics.decode())
    event = calendar.vevent
    return SentInvitation(
        subject=subject,
        method=calendar.method.value,
        uid=event.uid.value,
        sequence=int(event.sequence.value),
        stamp=event.dtstamp.value,
        start=event.dtstart.value,
        end=event.dtend.value,
    )


def invitations(emails: RecordingEmails) -> list[SentInvitation]:
    """The invitations in the order they were sent."""
    return [
        read_invitation(attachment.content, subject=message.subject)
        for message in emails.sent
        for attachment in message.attachments
        if attachment.content_type == "text/calendar"
    ]
