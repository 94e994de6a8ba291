"""Self-check results kept for signed-in patients (ORM only).

An anonymous self-check stores nothing: the answers describe someone's body, and without an
account there is no record they belong in. A signed-in patient's result is kept in their
record so the clinician sees what prompted the booking.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from plexcare.db import Base, UTCDateTime


class TriageRecord(Base):
    __tablename__ = "triage_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    urgency: Mapped[str] = mapped_column(String(20))
    specialty: Mapped[str | None] = mapped_column(String(40), default=None)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    kb_version: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
