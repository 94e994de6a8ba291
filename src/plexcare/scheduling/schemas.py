"""Scheduling requests and responses at the API edge (pydantic only).

Instants go out in UTC (`starts_at`) and in the clinic's wall-clock time (`local_start`, with
its offset), so a client never has to guess the zone; instants coming in must carry an offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

from plexcare.clinic.service import Specialty
from plexcare.scheduling.waitlist_order import Urgency


def _with_numeric_offset(moment: datetime) -> str:
    """`2026-12-01T09:00:00+00:00`: JSON would write a zero offset as `Z`, but a wall-clock time
    always shows the offset it is read with (as `docs/api.md` promises)."""
    return moment.isoformat()


LocalInstant = Annotated[
    datetime,
    PlainSerializer(_with_numeric_offset, return_type=str, when_used="json"),
    Field(
        description="the same instant in the clinic's wall-clock time (see `time_zone`), "
        "always with its numeric UTC offset",
        examples=["2026-12-01T09:00:00+00:00", "2026-06-01T10:00:00+01:00"],
        json_schema_extra={"format": "date-time", "pattern": "[+-][0-9]{2}:[0-9]{2}$"},
    ),
]
UtcInstant = Annotated[
    datetime,
    Field(description="an instant in UTC", examples=["2026-12-01T09:00:00Z"]),
]


class SlotOut(BaseModel):
    clinician_id: int
    clinician_name: str
    specialty: str
    appointment_type_id: int
    appointment_type: str
    starts_at: UtcInstant
    ends_at: UtcInstant
    local_start: LocalInstant
    time_zone: str


class SlotPage(BaseModel):
    items: list[SlotOut]
    limit: int
    offset: int


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clinician_id: int
    appointment_type_id: int
    starts_at: AwareDatetime
    patient_id: int | None = Field(default=None, description="front desk only")


class HoldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    clinician_id: int
    appointment_type_id: int
    starts_at: datetime
    expires_at: datetime
    waitlist_entry_id: int | None


class BookingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clinician_id: int
    appointment_type_id: int
    starts_at: AwareDatetime
    patient_id: int | None = Field(default=None, description="front desk only")


class CancellationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)


class RescheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    clinician_id: int | None = None


class AppointmentOut(BaseModel):
    id: int
    uid: str
    patient_id: int
    clinician_id: int
    appointment_type_id: int
    starts_at: UtcInstant
    ends_at: UtcInstant
    local_start: LocalInstant
    time_zone: str
    status: str
    sequence: int
    rescheduled_to_id: int | None
    strike: bool = Field(
        default=False,
        description="a no-show, or a change inside the notice window that counts toward "
        "pausing online booking; tells the patient the notice rule was applied",
    )

    @classmethod
    def of(cls, row: object, time_zone: str) -> AppointmentOut:
        starts_at: datetime = getattr(row, "starts_at")  # noqa: B009
        return cls.model_validate(
            {
                **{name: getattr(row, name) for name in cls.model_fields if hasattr(row, name)},
                "local_start": starts_at.astimezone(ZoneInfo(time_zone)),
                "time_zone": time_zone,
            }
        )


class AppointmentPage(BaseModel):
    items: list[AppointmentOut]
    total: int
    limit: int
    offset: int


class WaitlistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    specialty: Specialty
    appointment_type_id: int
    urgency: Urgency = Urgency.ROUTINE
    clinician_id: int | None = None
    patient_id: int | None = Field(default=None, description="front desk only")


class WaitlistEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    specialty: str
    clinician_id: int | None
    appointment_type_id: int
    urgency: str
    status: str
    created_at: datetime


class WaitlistPage(BaseModel):
    items: list[WaitlistEntryOut]
    limit: int
    offset: int
