"""iCalendar (RFC 5545) invitations that name the exact instant of the appointment.

Why each choice:

* **DTSTART/DTEND in UTC** (``20271031T003000Z``). A local time with a TZID cannot name the
  second 01:30 of a fall-back night: RFC 5545 §3.3.5 reads a repeated local time as its first
  occurrence, so 00:30Z and 01:30Z in London were both sent as 01:30 BST, and a visit across
  the change (01:30 BST to 01:30 GMT) became zero minutes long. A UTC time has one reading,
  every calendar shows it on the patient's own clock, and no VTIMEZONE is needed because no
  property refers to a TZID. The clinic's wall-clock time, with its zone abbreviation, is
  written in the DESCRIPTION for a patient whose calendar runs on another zone.
* **Stable UID** derived from the appointment id and the clinic's domain (a UUIDv5, so internal
  ids are not exposed); the same UID plus a higher **SEQUENCE** updates the existing event,
  and METHOD:CANCEL with that UID removes it.
* **SEQUENCE and DTSTAMP are given, not read from the clock.** They are fixed when the change
  is made and stored with the outbox message, so a request and a cancellation waiting for the
  same worker run still reach the calendar as two ordered versions (RFC 5546 §2.1.5).
* **No clinical details**: the inputs are structured (clinic, clinician, visit name, place,
  contact), with no free-text field a reason for referral could slip into.
* The ``icalendar`` package writes CRLF line endings and folds lines at 75 octets.

Usage::

    from plexcare.notifications.icalendar import (
        CalendarAppointment, CalendarMethod, CalendarParty, build_invitation,
    )

    ics: bytes = build_invitation(
        appointment=CalendarAppointment(
            appointment_id="4711",
            sequence=message.calendar_sequence,  # fixed when the change was made
            start=slot.start, end=slot.end,      # tz-aware (UTC is fine)
            time_zone="Europe/London",           # for the wall-clock time in the description
            clinic_name="plexcare Neuromuscular Clinic",
            clinician_name="Dr Ada Okafor",
            visit_name="Nerve conduction study and EMG",
            location="Room 3, 1 Example Street, London",
            contact_phone="+44 20 7946 0000",
            organizer=CalendarParty(email="appointments@clinic.example", name="plexcare Clinic"),
            attendee=CalendarParty(email="patient@example.org", name="Sam Patient"),
        ),
        method=CalendarMethod.REQUEST,       # CalendarMethod.CANCEL for a cancellation
        stamp=message.calendar_stamp,        # becomes DTSTAMP
        domain="clinic.example",
    )
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, vCalAddress

from plexcare.notifications.messages import format_local_clock, format_local_time

__all__ = [
    "CalendarAppointment",
    "CalendarMethod",
    "CalendarParty",
    "InvitationInputError",
    "appointment_uid",
    "build_invitation",
]

PRODUCT_ID = "-//plexcare//Clinic scheduling//EN"


class InvitationInputError(ValueError):
    """Bad invitation input, naming the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class CalendarMethod(StrEnum):
    """iTIP method: REQUEST creates or updates the event, CANCEL removes it."""

    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


@dataclass(frozen=True)
class CalendarParty:
    """An organizer or attendee: e-mail address and display name."""

    email: str
    name: str

    def __post_init__(self) -> None:
        if "@" not in self.email or any(c in self.email for c in "\r\n <>"):
            raise InvitationInputError("email", f"not a plain e-mail address: {self.email!r}")
        if any(ord(c) < 32 or c == '"' for c in self.name):
            raise InvitationInputError("name", "must be one line without double quotes")

    def address(self, *, attendee: bool, method: CalendarMethod) -> vCalAddress:
        value = vCalAddress(f"mailto:{self.email}")
        value.params["CN"] = self.name
        if attendee:
            value.params["ROLE"] = "REQ-PARTICIPANT"
            value.params["CUTYPE"] = "INDIVIDUAL"
            value.params["PARTSTAT"] = "NEEDS-ACTION"
            value.params["RSVP"] = "TRUE" if method is CalendarMethod.REQUEST else "FALSE"
        return value


@dataclass(frozen=True)
class CalendarAppointment:
    """What an invitation may say about an appointment; deliberately nothing clinical."""

    appointment_id: str
    sequence: int
    start: datetime
    end: datetime
    time_zone: str
    clinic_name: str
    clinician_name: str
    visit_name: str
    location: str
    organizer: CalendarParty
    attendee: CalendarParty
    contact_phone: str = ""
    manage_url: str = ""

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvitationInputError(name, "must be a time-zone-aware datetime")
        if self.end <= self.start:
            raise InvitationInputError("end", "must be after start")
        if self.sequence < 0:
            raise InvitationInputError("sequence", "must not be negative")
        if not self.appointment_id:
            raise InvitationInputError("appointment_id", "must not be empty")
        _zone(self.time_zone)


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvitationInputError("time_zone", f"unknown IANA time zone {time_zone!r}") from error


def appointment_uid(*, appointment_id: str, domain: str) -> str:
    """The event's UID: the same for every version of one appointment, unique across clinics."""
    name = f"https://{domain}/appointments/{appointment_id}"
    return f"{uuid.uuid5(uuid.NAMESPACE_URL, name)}@{domain}"


def _description(appointment: CalendarAppointment, method: CalendarMethod) -> str:
    starts = format_local_time(appointment.start, time_zone=appointment.time_zone)
    ends = format_local_clock(appointment.end, time_zone=appointment.time_zone)
    lines = [
        f"{appointment.visit_name} with {appointment.clinician_name}",
        f"{starts} to {ends} (clinic time)",
        f"{appointment.clinic_name}, {appointment.location}",
    ]
    if method is CalendarMethod.CANCEL:
        lines.insert(0, "This appointment has been cancelled.")
    if appointment.contact_phone:
        lines.append(f"Questions or changes: {appointment.contact_phone}")
    if appointment.manage_url:
        lines.append(f"Manage your appointment: {appointment.manage_url}")
    return "\n".join(lines)


def build_invitation(
    *,
    appointment: CalendarAppointment,
    method: CalendarMethod,
    stamp: datetime,
    domain: str,
) -> bytes:
    """The .ics file (UTF-8 bytes, CRLF) for one appointment: a request or a cancellation.

    ``stamp`` becomes DTSTAMP: the moment this version was made, not the moment it is sent, so
    a retry or a late send repeats the same version. Every new version (a move, a
    cancellation) needs a higher ``sequence`` than the one before it.
    """
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise InvitationInputError("stamp", "must be a time-zone-aware datetime")
    if not domain or any(c in domain for c in "/@ \r\n"):
        raise InvitationInputError("domain", f"not a host name: {domain!r}")

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)

    event = Event()
    event.add("uid", appointment_uid(appointment_id=appointment.appointment_id, domain=domain))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("sequence", appointment.sequence)
    event.add("dtstart", appointment.start.astimezone(UTC))
    event.add("dtend", appointment.end.astimezone(UTC))
    event.add("summary", f"{appointment.visit_name} with {appointment.clinician_name}")
    event.add("location", f"{appointment.clinic_name}, {appointment.location}")
    event.add("description", _description(appointment, method))
    event.add("organizer", appointment.organizer.address(attendee=False, method=method))
    event.add("attendee", appointment.attendee.address(attendee=True, method=method))
    event.add("class", "PRIVATE")
    event.add("transp", "OPAQUE")
    cancelled = method is CalendarMethod.CANCEL
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
