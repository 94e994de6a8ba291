"""Callback requests the front desk works through (ORM only).

`due_at` is the response target computed once, at request time, from the clinic's hours
(`queue_rules.response_due`), so "overdue" is a plain comparison the database can filter on.
`client_key` (an IP or an IPv6 /64) is kept only to count requests for the rate limit.
`CallbackRateKey` rows are what that count locks, so it holds across app processes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plexcare.db import Base, UTCDateTime


class CallbackRequest(Base):
    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    """E.164, so spacing can never make one number look like two."""
    preferred_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    preferred_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    patient_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    client_key: Mapped[str] = mapped_column(String(64), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CallbackRateKey(Base):
    """One row per client key and per phone number the rate limit is counting.

    Each request upserts its two rows before counting, which takes their row locks until it
    commits: requests for one key then count and insert one after another, so N requests at
    once accept exactly the limit. The rows hold no count (the accepted requests are the
    count); `touched_at` lets idle ones be forgotten.
    """

    __tablename__ = "callback_rate_keys"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    """"client" or "phone"."""
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
