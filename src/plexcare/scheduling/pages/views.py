"""What the booking pages show: the search form, free slots by day in the clinic's time zone,
a held slot, and the patient's own appointments. Built from service results, no web code.

Slots carry their start as a UTC ISO string in the form (what the services take), and a label
in the clinic's zone (what people read), so a visitor abroad books the time the clinic means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.clinic.service import Specialty
from plexcare.portal.layout import PortalPage, clock_label, when_label
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.policy import AppointmentStatus
from plexcare.scheduling.search import FoundSlot

SPECIALTY_LABELS = {
    Specialty.neurology.value: "Neurology (nerve specialist)",
    Specialty.neurosurgery.value: "Spinal surgery (neurosurgery)",
    Specialty.physical_medicine_rehabilitation.value: "Rehabilitation medicine",
    Specialty.pain_medicine.value: "Pain medicine",
}
STATUS_LABELS = {
    AppointmentStatus.BOOKED.value: "Booked",
    AppointmentStatus.CANCELLED.value: "Cancelled",
    AppointmentStatus.COMPLETED.value: "Attended",
    AppointmentStatus.NO_SHOW.value: "Missed",
    AppointmentStatus.RESCHEDULED.value: "Moved",
}
DONE_MESSAGES = {
    "booked": "Your appointment is booked. A confirmation is on its way to you.",
    "cancelled": "Your appointment is cancelled.",
    "moved": "Your appointment has been moved to the new time.",
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class SlotChoice:
    time: str
    clinician: str
    visit: str
    clinician_id: int
    appointment_type_id: int
    starts_at: str


@dataclass(frozen=True)
class DaySlots:
    day: str
    slots: tuple[SlotChoice, ...]


@dataclass(frozen=True)
class SearchValues:
    specialty: str = ""
    clinician_id: str = ""
    appointment_type_id: str = ""
    first_day: str = ""
    last_day: str = ""


@dataclass(frozen=True, kw_only=True)
class BookPage(PortalPage):
    specialties: tuple[Choice, ...]
    clinicians: tuple[Choice, ...]
    appointment_types: tuple[Choice, ...]
    values: SearchValues
    errors: dict[str, str] = field(default_factory=dict)
    searched: bool = False
    days: tuple[DaySlots, ...] = ()
    time_zone: str
    can_book: bool
    sign_in_href: str


@dataclass(frozen=True, kw_only=True)
class HoldPage(PortalPage):
    hold_id: int
    when: str
    clinician: str
    visit: str
    expires: str


@dataclass(frozen=True)
class AppointmentRow:
    id: int
    when: str
    clinician: str
    visit: str
    status: str
    changeable: bool


@dataclass(frozen=True, kw_only=True)
class MyAppointmentsPage(PortalPage):
    done: str
    upcoming: tuple[AppointmentRow, ...]
    past: tuple[AppointmentRow, ...]
    time_zone: str


@dataclass(frozen=True, kw_only=True)
class ReschedulePage(PortalPage):
    appointment: AppointmentRow
    values: SearchValues
    errors: dict[str, str] = field(default_factory=dict)
    days: tuple[DaySlots, ...] = ()
    time_zone: str


def specialty_choices() -> tuple[Choice, ...]:
    return tuple(Choice(s.value, SPECIALTY_LABELS.get(s.value, s.value)) for s in Specialty)


def clinician_choices(clinicians: Iterable[Clinician]) -> tuple[Choice, ...]:
    return tuple(
        Choice(str(c.id), f"{c.full_name} ({SPECIALTY_LABELS.get(c.specialty, c.specialty)})")
        for c in clinicians
    )


def type_choices(kinds: Iterable[AppointmentType]) -> tuple[Choice, ...]:
    return tuple(
        Choice(str(kind.id), f"{kind.name} ({kind.duration_minutes} min)") for kind in kinds
    )


def days_of(found: Sequence[FoundSlot], zone: ZoneInfo) -> tuple[DaySlots, ...]:
    """Slots grouped by the clinic's calendar day, earliest first (as the search returns)."""
    grouped: dict[date, list[SlotChoice]] = {}
    labels: dict[date, str] = {}
    for item in found:
        local = item.slot.start.astimezone(zone)
        labels.setdefault(local.date(), f"{local:%A} {local.day} {local:%B %Y}")
        grouped.setdefault(local.date(), []).append(
            SlotChoice(
                time=clock_label(item.slot.start, zone),
                clinician=item.clinician.full_name,
                visit=item.appointment_type.name,
                clinician_id=item.clinician.id,
                appointment_type_id=item.appointment_type.id,
                starts_at=item.slot.start.isoformat(),
            )
        )
    return tuple(DaySlots(labels[day], tuple(slots)) for day, slots in grouped.items())


def appointment_row(
    appointment: Appointment,
    *,
    clinicians: Mapping[int, Clinician],
    kinds: Mapping[int, AppointmentType],
    zone: ZoneInfo,
    now: datetime,
) -> AppointmentRow:
    clinician = clinicians.get(appointment.clinician_id)
    kind = kinds.get(appointment.appointment_type_id)
    return AppointmentRow(
        id=appointment.id,
        when=when_label(appointment.starts_at, zone),
        clinician=clinician.full_name if clinician else "a clinician",
        visit=kind.name if kind else "appointment",
        status=STATUS_LABELS.get(appointment.status, appointment.status),
        changeable=appointment.status == AppointmentStatus.BOOKED.value
        and appointment.starts_at > now,
    )
