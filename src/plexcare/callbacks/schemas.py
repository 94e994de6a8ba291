"""Callback requests at the API edge (pydantic only)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class CallbackStatus(StrEnum):
    new = "new"
    in_progress = "in_progress"
    done = "done"
    unreachable = "unreachable"


class CallbackRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=1, max_length=40)
    region: str = Field(
        default="GB", max_length=2, description="how to read a number without a country code"
    )
    preferred_start: AwareDatetime | None = None
    preferred_end: AwareDatetime | None = None
    reason: str = Field(min_length=3, max_length=1000)
    urgency: str = Field(default="routine", description="urgent or routine")


class CallbackReceipt(BaseModel):
    id: int
    status: CallbackStatus
    urgency: str
    due_at: datetime
    message: str


class CallbackUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: CallbackStatus | None = None
    owner_user_id: int | None = None
    note: str | None = Field(default=None, max_length=2000)


class CallbackOut(BaseModel):
    id: int
    full_name: str
    phone: str
    phone_display: str
    preferred_start: datetime | None
    preferred_end: datetime | None
    reason: str
    urgency: str
    status: CallbackStatus
    owner_user_id: int | None
    patient_user_id: int | None
    note: str
    created_at: datetime
    due_at: datetime
    overdue: bool


class CallbackPage(BaseModel):
    items: list[CallbackOut]
    total: int
    limit: int
    offset: int
