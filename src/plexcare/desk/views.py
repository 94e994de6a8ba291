"""What the front desk pages show, built from service results without web code, so tests read
a page's content without parsing HTML. Times are in the clinic's zone, with its abbreviation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from plexcare.accounts.models import User
from plexcare.callbacks.service import CallbackView
from plexcare.portal.layout import PortalPage, clock_label, when_label
from plexcare.scheduling.closures import ClinicDayState
from plexcare.scheduling.day_sheet import DaySheet, SheetEntry
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.pages.views import STATUS_LABELS, CalendarPage, Choice
from plexcare.scheduling.policy import AppointmentStatus


@dataclass(frozen=True)
class SheetRow:
    id: int
    time: str
    patient: str
    patient_id: int
    phone: str
    clinician: str
    visit: str
    rooms: str
    status: str
    arrived: str
    can_arrive: bool
    can_mark_attendance: bool
    can_change: bool


@dataclass(frozen=True)
class SheetGroup:
    heading: str
    anchor: str
    rows: tuple[SheetRow, ...]


@dataclass(frozen=True, kw_only=True)
class DaySheetPage(PortalPage):
    day_label: str
    day: str
    previous_day: str
    next_day: str
    today: str
    closed_note: str
    by_clinician: tuple[SheetGroup, ...]
    by_room: tuple[SheetGroup, ...]
    time_zone: str
    done: str = ""


DONE_MESSAGES = {
    "arrived": "Marked as arrived.",
    "attended": "Marked as attended.",
    "missed": "Marked as missed. It counts toward the patient's missed appointments.",
    "booked": "The appointment is booked and a confirmation is on its way to the patient.",
    "moved": "The appointment has been moved and the patient told.",
    "cancelled": "The appointment is cancelled and the patient told.",
    "registered": "The patient is registered.",
    "claimed": "The call-back is yours.",
    "recorded": "The call's outcome is recorded.",
}


def _sheet_row(entry: SheetEntry, *, zone: ZoneInfo, now: datetime) -> SheetRow:
    row = entry.appointment
    booked = row.status == AppointmentStatus.BOOKED.value
    today = now.astimezone(zone).date()
    return SheetRow(
        id=row.id,
        time=clock_label(row.starts_at, zone),
        patient=entry.patient_name,
        patient_id=row.patient_id,
        phone=entry.patient_phone,
        clinician=entry.clinician,
        visit=entry.visit,
        rooms=", ".join(entry.rooms),
        status=STATUS_LABELS.get(row.status, row.status),
        arrived=clock_label(row.arrived_at, zone) if row.arrived_at else "",
        can_arrive=booked
        and row.arrived_at is None
        and row.starts_at.astimezone(zone).date() == today,
        can_mark_attendance=booked and row.starts_at <= now,
        can_change=booked and row.starts_at > now,
    )


def sheet_groups(
    sheet: DaySheet, *, zone: ZoneInfo, now: datetime
) -> tuple[tuple[SheetGroup, ...], tuple[SheetGroup, ...]]:
    """The day's appointments by clinician (each clinician with any), and by room (active
    appointments only: a cancelled one no longer uses the room)."""
    by_clinician = []
    for clinician in sheet.clinicians:
        rows = tuple(
            _sheet_row(entry, zone=zone, now=now)
            for entry in sheet.entries
            if entry.appointment.clinician_id == clinician.id
        )
        if rows:
            by_clinician.append(SheetGroup(clinician.full_name, f"clinician-{clinician.id}", rows))
    by_room = []
    for room in sheet.rooms:
        rows = tuple(
            _sheet_row(entry, zone=zone, now=now)
            for entry in sheet.entries
            if room.name in entry.rooms
        )
        if rows:
            by_room.append(SheetGroup(room.name, f"room-{room.id}", rows))
    return tuple(by_clinician), tuple(by_room)


def closed_note(states: Sequence[ClinicDayState]) -> str:
    for state in states:
        if state.closed:
            why = state.note or state.holiday or "closed by the clinic"
            return f"The clinic is closed on this day ({why})."
    return ""


@dataclass(frozen=True)
class PatientChoice:
    id: int
    name: str
    email: str
    phone: str


def patient_choice(user: User) -> PatientChoice:
    return PatientChoice(id=user.id, name=user.full_name, email=user.email, phone=user.phone or "")


@dataclass(frozen=True)
class PatientAppointment:
    id: int
    when: str
    clinician: str
    visit: str
    status: str
    changeable: bool


@dataclass(frozen=True, kw_only=True)
class DeskBookPage(CalendarPage):
    query: str
    found: tuple[PatientChoice, ...]
    searched_patients: bool
    patient: PatientChoice | None
    appointments: tuple[PatientAppointment, ...]
    specialties: tuple[Choice, ...]
    clinicians: tuple[Choice, ...]
    appointment_types: tuple[Choice, ...]
    searched: bool = False
    register: dict[str, str] = field(default_factory=dict)
    register_errors: dict[str, str] = field(default_factory=dict)
    done: str = ""


@dataclass(frozen=True, kw_only=True)
class DeskMovePage(CalendarPage):
    appointment: PatientAppointment
    patient: PatientChoice


@dataclass(frozen=True, kw_only=True)
class DeskCancelPage(PortalPage):
    appointment: PatientAppointment
    patient: PatientChoice
    reason: str = ""
    error: str = ""


def patient_appointment(
    row: Appointment, *, clinician: str, visit: str, zone: ZoneInfo, now: datetime
) -> PatientAppointment:
    return PatientAppointment(
        id=row.id,
        when=when_label(row.starts_at, zone),
        clinician=clinician,
        visit=visit,
        status=STATUS_LABELS.get(row.status, row.status),
        changeable=row.status == AppointmentStatus.BOOKED.value and row.starts_at > now,
    )


@dataclass(frozen=True)
class CallbackRow:
    id: int
    name: str
    phone: str
    phone_href: str
    reason: str
    urgency: str
    best_time: str
    due: str
    overdue: bool
    status: str
    owner: str
    mine: bool
    note: str


CALLBACK_STATUS_LABELS = {
    "new": "Waiting",
    "in_progress": "Being called",
    "done": "Done",
    "unreachable": "Could not reach",
}


def callback_row(
    view: CallbackView, *, zone: ZoneInfo, owners: dict[int, str], me: int | None, phone: str
) -> CallbackRow:
    request = view.request
    best = ""
    if request.preferred_start and request.preferred_end:
        best = (
            f"{when_label(request.preferred_start, zone)} to "
            f"{clock_label(request.preferred_end, zone)}"
        )
    return CallbackRow(
        id=request.id,
        name=request.full_name,
        phone=phone,
        phone_href=f"tel:{request.phone}",
        reason=request.reason,
        urgency="Urgent" if request.urgency == "urgent" else "Routine",
        best_time=best,
        due=when_label(request.due_at, zone),
        overdue=view.overdue,
        status=CALLBACK_STATUS_LABELS.get(request.status, request.status),
        owner=owners.get(request.owner_user_id or 0, ""),
        mine=request.owner_user_id is not None and request.owner_user_id == me,
        note=request.note,
    )


@dataclass(frozen=True, kw_only=True)
class CallbackQueuePage(PortalPage):
    open_rows: tuple[CallbackRow, ...]
    closed_rows: tuple[CallbackRow, ...]
    overdue_count: int
    time_zone: str
    done: str = ""
    error: str = ""
