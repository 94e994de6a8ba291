"""The self-check at the API edge (pydantic only)."""

from __future__ import annotations

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


class SelfCheckOut(BaseModel):
    urgency: str
    see: list[str]
    specialty: str
    reasons: list[ReasonOut]
    further_advice: list[ReasonOut]
    next_step: str = Field(description="emergency, book_urgent, book or call_us")
    what_to_do: str
    slots: list[SlotOut]
    callback: CallbackOffer | None
    notice: str
    kb_version: str
    saved_to_record: bool
