"""Second opinions at the API edge (pydantic only)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class SecondOpinionStatus(StrEnum):
    received = "received"
    in_review = "in_review"
    answered = "answered"


OPINION_LIMITS = (20, 20000)
"""The shortest and longest written opinion, in characters (the API and the desk page)."""


class OpinionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opinion: str = Field(min_length=OPINION_LIMITS[0], max_length=OPINION_LIMITS[1])


class SecondOpinionFileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class SecondOpinionOut(BaseModel):
    id: int
    patient_id: int
    question: str
    status: SecondOpinionStatus
    reviewer_user_id: int | None
    opinion: str | None
    answered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    files: list[SecondOpinionFileOut]


class SecondOpinionPage(BaseModel):
    items: list[SecondOpinionOut]
    total: int
    limit: int
    offset: int
