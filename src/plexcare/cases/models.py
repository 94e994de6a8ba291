"""A patient's case and its immutable versions (ORM only).

A case is never edited in place: every save is a new `CaseVersion` holding the engine's input
(the case JSON), the assessment computed from it, and the knowledge-base version that produced
that assessment, so an answer given last month can be shown exactly as it was, and explained.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plexcare.db import Base, UTCDateTime


class ClinicalCase(Base):
    """The evaluation of one patient's legs, as a history of versions."""

    __tablename__ = "clinical_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseVersion(Base):
    """One saved state of a case with its assessment. Rows are only ever inserted.

    The unique (case, number) pair means two clinicians saving at once cannot both write
    version 3: the second gets a conflict and saves again on top of the first.
    """

    __tablename__ = "case_versions"
    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_case_versions_case_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("clinical_cases.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    case_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON)
    kb_version: Mapped[str] = mapped_column(String(80))
    leading_localization: Mapped[str] = mapped_column(String(120))
    leading_cause: Mapped[str] = mapped_column(String(120))
    urgency: Mapped[str] = mapped_column(String(20))
    note_for_patient: Mapped[str] = mapped_column(Text, default="")
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseSignOff(Base):
    """A clinician's sign-off of one case version: who and when. Inserted once, never changed;
    a signed-off version is final, and later findings go into a new version."""

    __tablename__ = "case_sign_offs"
    __table_args__ = (UniqueConstraint("case_version_id", name="uq_case_sign_offs_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_version_id: Mapped[int] = mapped_column(ForeignKey("case_versions.id", ondelete="CASCADE"))
    signed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
