"""Follow-up visits and the outcome scores recorded at each (ORM only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plexcare.db import Base, UTCDateTime


class FollowUpVisit(Base):
    __tablename__ = "followup_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinical_cases.id", ondelete="SET NULL"), default=None
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutcomeScore(Base):
    """One scale's score at one visit; item grades kept for sum scores (e.g. MRC per muscle)."""

    __tablename__ = "outcome_scores"
    __table_args__ = (UniqueConstraint("visit_id", "scale_id", name="uq_outcome_scores_scale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(
        ForeignKey("followup_visits.id", ondelete="CASCADE"), index=True
    )
    scale_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[float] = mapped_column(Float)
    item_grades: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
