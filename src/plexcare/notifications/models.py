"""The transactional outbox (ORM only).

A message row is written in the same transaction as the booking it announces, so a booking is
never confirmed without being stored, nor stored without its confirmation being queued.

A message about an appointment also keeps the invitation's version as the change made it
(SEQUENCE and DTSTAMP): built at send time from the appointment as it then is, a confirmation
and a cancellation waiting for one worker run would go out as the same version.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plexcare.db import Base, UTCDateTime


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    recipient_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), default=None
    )
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    calendar_sequence: Mapped[int | None] = mapped_column(Integer, default=None)
    """The invitation's SEQUENCE: the appointment's sequence right after the change."""
    calendar_stamp: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """The invitation's DTSTAMP: when the change was made."""
