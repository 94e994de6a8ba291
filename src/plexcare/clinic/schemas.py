"""The clinic at the API edge (pydantic only)."""

from __future__ import annotations

from datetime import date, time, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from plexcare.errors import InvalidInput
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


LONGEST_EXCEPTION_DAYS = 366
"""Leave longer than a year is not leave: the clinician's hours should change instead."""
EXCEPTION_HORIZON = timedelta(days=3 * 366)
EXCEPTION_HINDSIGHT = timedelta(days=366)
"""How far ahead leave may be planned and how far back it may be recorded."""


class ExceptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ExceptionKind
    first_day: date = Field(
        description="the first day, in the clinic's calendar; from a year ago to three years ahead",
        examples=["2026-12-21"],
    )
    last_day: date = Field(
        description=f"the last day (inclusive); at most {LONGEST_EXCEPTION_DAYS} days in all",
        examples=["2026-12-24"],
    )
    starts: time | None = None
    ends: time | None = None
    note: str = Field(default="", max_length=200)

    @field_validator("last_day")
    @classmethod
    def _at_most_a_year(cls, last_day: date, info: ValidationInfo) -> date:
        first_day = info.data.get("first_day")
        if isinstance(first_day, date) and (last_day - first_day).days >= LONGEST_EXCEPTION_DAYS:
            raise ValueError(f"spans more than {LONGEST_EXCEPTION_DAYS} days")
        return last_day

    def refuse_far_days(self, *, today: date) -> None:
        """InvalidInput naming the day that lies outside the planning horizon around `today`."""
        for name, day in (("first_day", self.first_day), ("last_day", self.last_day)):
            if day < today - EXCEPTION_HINDSIGHT:
                raise InvalidInput("is more than a year ago", field=name)
            if day > today + EXCEPTION_HORIZON:
                raise InvalidInput("is more than three years ahead", field=name)


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
