"""The clinic at the API edge (pydantic only)."""

from __future__ import annotations

from datetime import date, time

from pydantic import BaseModel, ConfigDict, Field

from plexcare.scheduling.availability import ExceptionKind


class ClinicianOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    full_name: str
    specialty: str
    biography: str


class ClinicianPage(BaseModel):
    items: list[ClinicianOut]
    total: int
    limit: int
    offset: int


class AppointmentTypeOut(BaseModel):
    id: int
    code: str
    name: str
    duration_minutes: int
    buffer_minutes: int
    minimum_notice_minutes: int
    horizon_days: int
    resource_kinds: list[str]


class ResourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str


class WeeklyWindowOut(BaseModel):
    weekday: int
    starts: time
    ends: time


class WeeklyWindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    starts: time = Field(description="local wall-clock time, e.g. 09:00")
    ends: time


class AvailabilityRequest(BaseModel):
    """The whole weekly pattern: it replaces the stored one."""

    model_config = ConfigDict(extra="forbid")

    hours: list[WeeklyWindowIn] = Field(max_length=70)
    breaks: list[WeeklyWindowIn] = Field(default_factory=list, max_length=70)


class AvailabilityOut(BaseModel):
    clinician_id: int
    time_zone: str
    hours: list[WeeklyWindowOut]
    breaks: list[WeeklyWindowOut]


class ExceptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ExceptionKind
    first_day: date
    last_day: date
    starts: time | None = None
    ends: time | None = None
    note: str = Field(default="", max_length=200)


class ExceptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    clinician_id: int
    kind: str
    first_day: date
    last_day: date
    starts: time | None
    ends: time | None
    note: str
