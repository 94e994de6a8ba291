"""Queue messages in the transactional outbox. Never commits: the caller's transaction
(the booking itself) decides whether the message exists.

A message about an appointment records the invitation version the change made: the
appointment's SEQUENCE as the caller left it (booking sets it, every later change raises it
before queueing its message) and the change's moment as DTSTAMP. A reminder carries the version
of the announcement queued with it, so it repeats that version rather than making a new one.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Table, insert, update
from sqlalchemy.orm import Session

from plexcare.notifications.models import OutboxMessage
from plexcare.scheduling.models import Appointment

MESSAGE_KINDS = (
    "confirmation",
    "change",
    "cancellation",
    "reminder",
    "waitlist_offer",
    "second_opinion_answered",
)
CHANNELS = ("email", "sms")
REMINDER_LEAD = timedelta(hours=24)
"""Reminders go out a day ahead (or at once when the appointment is sooner)."""


def _calendar_sequence(session: Session, appointment_id: int | None) -> int | None:
    """The appointment's SEQUENCE now, as the change being queued left it.

    The appointment has just been written or changed in this session, so it normally comes
    from the session's identity map, without a query on the booking path."""
    if appointment_id is None:
        return None
    appointment = session.get(Appointment, appointment_id)
    return None if appointment is None else appointment.sequence


def enqueue(
    *,
    session: Session,
    kind: str,
    recipient_user_id: int,
    appointment_id: int | None,
    now: datetime,
    due_at: datetime | None = None,
    channels: Iterable[str] = CHANNELS,
) -> list[OutboxMessage]:
    """One pending message per channel; consent is checked when sending, not here, so a
    patient who consents later still gets the reminder."""
    if kind not in MESSAGE_KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    sequence = _calendar_sequence(session, appointment_id)
    messages = []
    for channel in channels:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        message = OutboxMessage(
            kind=kind,
            channel=channel,
            recipient_user_id=recipient_user_id,
            appointment_id=appointment_id,
            status="pending",
            attempts=0,
            due_at=due_at or now,
            created_at=now,
            calendar_sequence=sequence,
            calendar_stamp=None if sequence is None else now,
        )
        session.add(message)
        messages.append(message)
    return messages


_INSERT_MESSAGE = insert(typing.cast(Table, OutboxMessage.__table__))


def enqueue_with_reminder(
    *,
    session: Session,
    kind: str,
    recipient_user_id: int,
    appointment_id: int,
    starts_at: datetime,
    now: datetime,
) -> None:
    """A booking's announcement (`kind`: "confirmation" or "change") and its reminder (a day
    ahead, or at once when sooner), on every channel, in one INSERT without the ORM unit of
    work, which costs more than the insert itself. Still in the caller's transaction, so the
    messages exist exactly when the booking does."""
    if kind not in MESSAGE_KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    reminder_due = max(now, starts_at - REMINDER_LEAD)
    sequence = _calendar_sequence(session, appointment_id)
    session.execute(
        _INSERT_MESSAGE,
        [
            {
                "kind": message_kind,
                "channel": channel,
                "recipient_user_id": recipient_user_id,
                "appointment_id": appointment_id,
                "status": "pending",
                "attempts": 0,
                "due_at": due_at,
                "created_at": now,
                "calendar_sequence": sequence,
                "calendar_stamp": now,
            }
            for message_kind, due_at in ((kind, now), ("reminder", reminder_due))
            for channel in CHANNELS
        ],
    )


def withdraw_pending(*, session: Session, appointment_id: int, kinds: Iterable[str]) -> None:
    """Reminders for an appointment that no longer stands are not sent."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.appointment_id == appointment_id,
            OutboxMessage.status == "pending",
            OutboxMessage.kind.in_(list(kinds)),
        )
        .values(status="withdrawn")
        .execution_options(synchronize_session=False)
    )
