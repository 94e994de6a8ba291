"""Follow-up visits and outcome series at the API edge (pydantic only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scale: str = Field(min_length=1, max_length=80)
    value: float | None = None
    items: dict[str, int] | None = Field(
        default=None, description="item grades of a sum score (e.g. six MRC grades)"
    )


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient_id: int
    seen_at: AwareDatetime
    case_id: int | None = None
    note: str = Field(default="", max_length=4000)
    scores: list[ScoreIn] = Field(min_length=1, max_length=20)


class ScoreOut(BaseModel):
    scale: str
    name: str
    value: float
    items: dict[str, int] | None


class VisitOut(BaseModel):
    id: int
    patient_id: int
    case_id: int | None
    seen_at: datetime
    note: str
    scores: list[ScoreOut]


class ReadingOut(BaseModel):
    visit_id: int
    seen_at: datetime
    value: float


class SummaryOut(BaseModel):
    count: int
    first: float
    last: float
    best: float
    change: float
    relative_change: float | None
    direction: str
    reaches_mcid: bool | None
    days: float


class SeriesOut(BaseModel):
    scale: str
    name: str
    unit: str
    better: str
    readings: list[ReadingOut]
    summary: SummaryOut | None


class FollowUpOut(BaseModel):
    patient_id: int
    visits: list[VisitOut]
    series: list[SeriesOut]


class ScaleOut(BaseModel):
    id: str
    name: str
    kind: str
    minimum: float
    maximum: float
    unit: str
    better: str
    items: list[str]
