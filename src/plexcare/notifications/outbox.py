"""Queue messages in the transactional outbox. Never commits: the caller's transaction
(the booking itself) decides whether the message exists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from plexcare.notifications.models import OutboxMessage

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
        )
        session.add(message)
        messages.append(message)
    return messages


def enqueue_reminder(
    *,
    session: Session,
    recipient_user_id: int,
    appointment_id: int,
    starts_at: datetime,
    now: datetime,
) -> list[OutboxMessage]:
    return enqueue(
        session=session,
        kind="reminder",
        recipient_user_id=recipient_user_id,
        appointment_id=appointment_id,
        now=now,
        due_at=max(now, starts_at - REMINDER_LEAD),
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
