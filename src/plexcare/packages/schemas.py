"""Health packages at the API edge (pydantic only)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from plexcare.scheduling.schemas import AppointmentOut, SlotOut


class PackageItemOut(BaseModel):
    position: int
    appointment_type: str
    name: str
    duration_minutes: int
    min_gap_minutes: int
    max_days_after_previous: int | None


class PackageOut(BaseModel):
    code: str
    name: str
    description: str
    price_minor_units: int
    currency: str
    items: list[PackageItemOut]


class ItineraryOut(BaseModel):
    package: str
    slots: list[SlotOut]


class ChosenSlot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clinician_id: int
    appointment_type_id: int
    starts_at: AwareDatetime


class PackageBookingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ChosenSlot] | None = Field(
        default=None, description="the proposed itinerary's slots; omit to book the earliest"
    )
    patient_id: int | None = Field(default=None, description="front desk only")


class PackageBookingOut(BaseModel):
    id: int
    package: str
    patient_id: int
    price_minor_units: int
    currency: str
    created_at: datetime
    appointments: list[AppointmentOut]


class PackageBookingPage(BaseModel):
    items: list[PackageBookingOut]
    total: int
    limit: int
    offset: int
