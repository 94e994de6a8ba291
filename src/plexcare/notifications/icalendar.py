"""iCalendar (RFC 5545) invitations that open at the right wall-clock time in every calendar.

Why each choice:

* **VTIMEZONE from zoneinfo.** Outlook ignores a bare IANA ``TZID`` it cannot resolve and shows
  the event an hour off after a changeover, so every invitation carries a VTIMEZONE with
  STANDARD/DAYLIGHT observances for the years the appointment touches. The observances are
  computed here from the zoneinfo transitions; each DTSTART is the local time *before* the
  change (TZOFFSETFROM), as RFC 5545 §3.6.5 requires (02:00 for New York's spring forward).
* **DTSTART/DTEND with TZID** in the clinic's zone, so the patient's calendar converts them.
* **Stable UID** derived from the appointment id and the clinic's domain (a UUIDv5, so internal
  ids are not exposed); the same UID plus a higher **SEQUENCE** updates the existing event,
  and METHOD:CANCEL with that UID removes it.
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
            sequence=0,                      # +1 on every change the patient is told about
            start=slot.start, end=slot.end,  # tz-aware (UTC is fine)
            time_zone="Europe/London",
            clinic_name="plexcare Neuromuscular Clinic",
            clinician_name="Dr Ada Okafor",
            visit_name="Nerve conduction study and EMG",
            location="Room 3, 1 Example Street, London",
            contact_phone="+44 20 7946 0000",
            organizer=CalendarParty(email="appointments@clinic.example", name="plexcare Clinic"),
            attendee=CalendarParty(email="patient@example.org", name="Sam Patient"),
        ),
        method=CalendarMethod.REQUEST,       # CalendarMethod.CANCEL for a cancellation
        now=now,                             # becomes DTSTAMP
        domain="clinic.example",
    )
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
)

__all__ = [
    "CalendarAppointment",
    "CalendarMethod",
    "CalendarParty",
    "InvitationInputError",
    "appointment_uid",
    "build_invitation",
    "clinic_vtimezone",
]

PRODUCT_ID = "-//plexcare//Clinic scheduling//EN"
_SCAN_STEP = timedelta(hours=12)
_ONE_SECOND = timedelta(seconds=1)


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


def _state(zone: tzinfo, instant: datetime) -> tuple[timedelta, timedelta, str]:
    local = instant.astimezone(zone)
    return (local.utcoffset() or timedelta(0), local.dst() or timedelta(0), local.tzname() or "")


def _transitions(
    zone: tzinfo, first: datetime, last: datetime
) -> list[tuple[datetime, tuple[timedelta, timedelta, str], tuple[timedelta, timedelta, str]]]:
    """Every (instant, state before, state after) where offset, DST or name changes."""
    found = []
    cursor = first
    before = _state(zone, cursor)
    while cursor < last:
        probe = min(cursor + _SCAN_STEP, last)
        after = _state(zone, probe)
        if after != before:
            low, high = cursor, probe
            while high - low > _ONE_SECOND:
                middle = low + (high - low) // 2
                if _state(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            found.append((high, before, _state(zone, high)))
            before = _state(zone, high)
            cursor = high
        else:
            cursor = probe
    return found


def _observance(
    *, begins_local: datetime, offset_from: timedelta, state: tuple[timedelta, timedelta, str]
) -> TimezoneStandard | TimezoneDaylight:
    offset_to, dst, name = state
    # Dublin keeps "negative DST" in winter (dst < 0); clients expect its summer as DAYLIGHT.
    daylight = dst > timedelta(0) or (dst == timedelta(0) and offset_to > offset_from)
    observance = TimezoneDaylight() if daylight else TimezoneStandard()
    observance.add("dtstart", begins_local.replace(tzinfo=None))
    if name:
        observance.add("tzname", name)
    observance.add("tzoffsetfrom", offset_from)
    observance.add("tzoffsetto", offset_to)
    return observance


@lru_cache(maxsize=64)
def _vtimezone_ical(time_zone: str, first_year: int, last_year: int) -> bytes:
    zone = _zone(time_zone)
    first = datetime(first_year, 1, 1, tzinfo=UTC)
    last = datetime(last_year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    component = Timezone()
    component.add("tzid", time_zone)
    opening = _state(zone, first)
    component.add_component(
        _observance(
            begins_local=datetime(first_year, 1, 1),
            offset_from=opening[0],
            state=opening,
        )
    )
    for instant, before, after in _transitions(zone, first, last):
        component.add_component(
            _observance(
                begins_local=(instant + before[0]).replace(tzinfo=None),
                offset_from=before[0],
                state=after,
            )
        )
    return bytes(component.to_ical())


def clinic_vtimezone(*, time_zone: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for the IANA zone covering 1 January of first_year to the end of last_year.

    It opens with the offset in force on 1 January of first_year and lists each transition in
    the range as a STANDARD or DAYLIGHT observance (a zone without daylight saving gets one
    STANDARD). Results are cached: zones and years repeat across invitations.
    """
    if last_year < first_year:
        raise InvitationInputError("last_year", "must not be before first_year")
    parsed = Timezone.from_ical(_vtimezone_ical(time_zone, first_year, last_year))
    assert isinstance(parsed, Timezone)
    return parsed


def _description(appointment: CalendarAppointment, method: CalendarMethod) -> str:
    lines = [
        f"{appointment.visit_name} with {appointment.clinician_name}",
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
    now: datetime,
    domain: str,
) -> bytes:
    """The .ics file (UTF-8 bytes, CRLF) for one appointment: a request or a cancellation.

    ``now`` becomes DTSTAMP. Send a REQUEST with a higher ``sequence`` when the time or place
    changes; a CANCEL should also carry a sequence higher than the last request's.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvitationInputError("now", "must be a time-zone-aware datetime")
    if not domain or any(c in domain for c in "/@ \r\n"):
        raise InvitationInputError("domain", f"not a host name: {domain!r}")
    zone = _zone(appointment.time_zone)
    local_start = appointment.start.astimezone(zone)
    local_end = appointment.end.astimezone(zone)

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)
    calendar.add_component(
        clinic_vtimezone(
            time_zone=appointment.time_zone,
            first_year=local_start.year,
            last_year=local_end.year,
        )
    )

    event = Event()
    event.add("uid", appointment_uid(appointment_id=appointment.appointment_id, domain=domain))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("sequence", appointment.sequence)
    event.add("dtstart", local_start)
    event.add("dtend", local_end)
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
