"""The self-check at the API edge (pydantic only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from plexcare.scheduling.schemas import SlotOut


class SelfCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, bool | int | float | str | None] = Field(
        description="question id → answer (yes/no as true/false, a choice id, or a number)"
    )


class QuestionOptionOut(BaseModel):
    id: str
    text: str


class QuestionOut(BaseModel):
    id: str
    group: str
    kind: str
    text: str
    help: str
    options: list[QuestionOptionOut]
    minimum: float | None
    maximum: float | None


class QuestionnaireOut(BaseModel):
    notice: str
    questions: list[QuestionOut]


class ReasonOut(BaseModel):
    urgency: str
    reason: str


class CallbackOffer(BaseModel):
    """Where to ask for a call, and at what urgency the desk will treat it."""

    path: str = "/api/v1/callbacks"
    urgency: str
    due_at: datetime | None = Field(
        default=None, description="When the clinic would call if asked now (UTC)"
    )
    in_time: bool = Field(
        default=True,
        description="False when that call would come later than the advice allows; then use "
        "the out-of-hours service named in what_to_do",
    )


class SelfCheckOut(BaseModel):
    urgency: str
    see: list[str]
    specialty: str | None = Field(
        description="The clinic specialty to book; null when the advice names only a GP or "
        "emergency care"
    )
    reasons: list[ReasonOut]
    further_advice: list[ReasonOut]
    unanswered_warnings: list[str] = Field(
        description="Warning-sign questions left blank; while any is listed the advice does "
        "not rule out an emergency"
    )
    could_change: list[str] = Field(
        description="Other blank questions that would complete a more urgent red flag the "
        "answers have half-stated"
    )
    emergency_number: str
    next_step: str = Field(
        description="emergency, book_today, call_today, gp_today, book_urgent, gp_soon, book, "
        "gp or call_us"
    )
    what_to_do: str
    slots: list[SlotOut]
    callback: CallbackOffer | None
    notice: str
    kb_version: str
    saved_to_record: bool
