"""What the demo mailbox pages show, built without web code."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from plexcare.notifications.mailbox import ReadMessage
from plexcare.portal.layout import PortalPage, when_label


@dataclass(frozen=True)
class MailRow:
    id: str
    to: str
    subject: str
    sent: str
    attachments: tuple[str, ...]


@dataclass(frozen=True)
class AttachmentLink:
    filename: str
    content_type: str
    size: str
    href: str


@dataclass(frozen=True)
class MailView:
    id: str
    sender: str
    to: str
    subject: str
    sent: str
    text: str
    attachments: tuple[AttachmentLink, ...]
    calendar: str
    """The text of a calendar invitation (.ics), shown as it was sent, so staff see the event
    without opening a file."""


@dataclass(frozen=True, kw_only=True)
class MailboxPage(PortalPage):
    messages: tuple[MailRow, ...]
    directory: str


@dataclass(frozen=True, kw_only=True)
class MessagePage(PortalPage):
    message: MailView


def _sent(found: ReadMessage, zone: ZoneInfo) -> str:
    return when_label(found.sent_at, zone) if found.sent_at and found.sent_at.tzinfo else ""


def message_row(found: ReadMessage, zone: ZoneInfo) -> MailRow:
    return MailRow(
        id=found.id,
        to=found.to,
        subject=found.subject,
        sent=_sent(found, zone),
        attachments=tuple(item.filename for item in found.attachments),
    )


def read_view(found: ReadMessage, zone: ZoneInfo) -> MailView:
    calendar = next(
        (
            item.content.decode("utf-8", "replace")
            for item in found.attachments
            if item.content_type == "text/calendar"
        ),
        "",
    )
    return MailView(
        id=found.id,
        sender=found.sender,
        to=found.to,
        subject=found.subject,
        sent=_sent(found, zone),
        text=found.text,
        attachments=tuple(
            AttachmentLink(
                filename=item.filename,
                content_type=item.content_type,
                size=f"{len(item.content):,} bytes",
                href=f"/desk/mailbox/{found.id}/attachments/{number}",
            )
            for number, item in enumerate(found.attachments, start=1)
        ),
        calendar=calendar,
    )
