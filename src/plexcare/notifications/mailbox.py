"""The demo's local mail sink: an SMTP server on this machine that keeps what it receives, and
the reading side the staff's /desk/mailbox page uses.

In a trial (`plexcare serve --demo`) messages must visibly leave: the outbox worker sends over
real SMTP, and this sink (aiosmtpd) accepts every message and writes it, as sent, to one
`.eml` file per message in `mailbox_dir` (folder 0700, files 0600: they hold patients' names
and appointments). Nothing is relayed anywhere. A file name is a UTC time stamp and a random
part, so the files sort in arrival order and a name from a URL can be checked by its shape
before it is ever joined to the folder.

Usage::

    sink = MailSink(host="127.0.0.1", port=1025, directory=Path("var/mailbox"))
    sink.start()
    ...
    Mailbox(Path("var/mailbox")).messages()     # newest first
    sink.stop()
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from plexcare.db import make_private_directory

_NAME = re.compile(r"^[0-9]{8}T[0-9]{6}[0-9]{6}Z-[A-Za-z0-9_-]{12}$")
_PRIVATE_FILE = 0o600


def is_message_id(name: str) -> bool:
    """Whether `name` has the shape of a stored message's name (and so cannot leave the
    folder when joined to it)."""
    return _NAME.fullmatch(name) is not None


class Mailbox:
    """The folder the sink writes to, read as a list of messages."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def keep(self, data: bytes, *, now: datetime | None = None) -> str:
        """Store one message as received; its name (the id the page links to)."""
        make_private_directory(self.directory)
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        name = f"{moment:%Y%m%dT%H%M%S%f}Z-{secrets.token_urlsafe(9)}"
        path = self.directory / f"{name}.eml"
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_FILE)
        with os.fdopen(handle, "wb") as output:
            output.write(data)
        return name

    def message_ids(self) -> list[str]:
        """Newest first."""
        if not self.directory.is_dir():
            return []
        names = [path.stem for path in self.directory.glob("*.eml") if is_message_id(path.stem)]
        return sorted(names, reverse=True)

    def read(self, message_id: str) -> EmailMessage | None:
        if not is_message_id(message_id):
            return None
        path = self.directory / f"{message_id}.eml"
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            parsed = BytesParser(policy=policy.default).parse(handle)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ReadMessage:
    """One received message as staff read it."""

    id: str
    sender: str
    to: str
    subject: str
    sent_at: datetime | None
    text: str
    attachments: tuple[Attachment, ...]


def _decoded(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def read_message(message_id: str, message: EmailMessage) -> ReadMessage:
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    attachments = tuple(
        Attachment(
            filename=part.get_filename() or f"attachment-{index + 1}",
            content_type=part.get_content_type(),
            content=_decoded(part),
        )
        for index, part in enumerate(message.iter_attachments())
    )
    date = message.get("Date")
    try:
        sent_at = parsedate_to_datetime(str(date)) if date else None
    except (TypeError, ValueError):
        sent_at = None
    return ReadMessage(
        id=message_id,
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        sent_at=sent_at,
        text=text,
        attachments=attachments,
    )


class _KeepEverything:
    """aiosmtpd handler: accept every message and keep it in the mailbox."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        self.mailbox.keep(data)
        return "250 Message accepted for delivery"


class MailSink:
    """The SMTP server of the demo: listens on `host`:`port` in a thread of its own."""

    def __init__(self, *, host: str, port: int, directory: Path) -> None:
        self.mailbox = Mailbox(directory)
        self._controller = Controller(
            _KeepEverything(self.mailbox), hostname=host, port=port, ready_timeout=10
        )

    def start(self) -> None:
        make_private_directory(self.mailbox.directory)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
