"""The words of appointment messages: confirmation, change, cancellation and reminder.

Times are shown in the clinic's zone with the zone's abbreviation ("09:00 BST"), because the
patient travels to the clinic and the clinic's clock is the one that matters; the date is
spelled out so "03/04" cannot be read two ways. The abbreviation is on every time, the end of a
visit included, because on a fall-back night 01:30 happens twice and only "01:30 BST" and
"01:30 GMT" tell the two apart; where a zone names both sides of a change alike (Moscow kept
"MSK" when it went back an hour in 2014), the UTC offset is added to the repeated times. The
portal's pages use the same two functions, `format_local_time` and `format_local_clock`.

The messages say who, when and where, never why: no symptoms, diagnoses or test reasons, since
e-mail and SMS are read on shared screens.

Usage::

    from plexcare.notifications.messages import AppointmentNotice, render_confirmation

    rendered = render_confirmation(
        notice=AppointmentNotice(
            reference="PX-4711",
            patient_name="Sam Patient",
            clinician_name="Dr Ada Okafor",
            clinic_name="plexcare Neuromuscular Clinic",
            visit_name="Nerve conduction study and EMG",
            start=slot.start, end=slot.end, time_zone="Europe/London",
            location="Room 3, 1 Example Street, London",
            contact_phone="+44 20 7946 0000",
            manage_url="https://clinic.example/appointments/PX-4711",
        )
    )
    rendered.subject, rendered.text, rendered.short_text   # e-mail subject/body, SMS text
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "AppointmentNotice",
    "NoticeInputError",
    "RenderedMessage",
    "format_local_clock",
    "format_local_time",
    "render_cancellation",
    "render_change",
    "render_confirmation",
    "render_reminder",
]


class NoticeInputError(ValueError):
    """Bad notice input, naming the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _require_aware(value: datetime, field_name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NoticeInputError(field_name, "must be a time-zone-aware datetime")


@dataclass(frozen=True)
class AppointmentNotice:
    """What a message may say about an appointment; there is no field for clinical detail."""

    reference: str
    patient_name: str
    clinician_name: str
    clinic_name: str
    visit_name: str
    start: datetime
    end: datetime
    time_zone: str
    location: str
    contact_phone: str = ""
    manage_url: str = ""

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if self.end <= self.start:
            raise NoticeInputError("end", "must be after start")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise NoticeInputError("time_zone", f"unknown time zone {self.time_zone!r}") from error


@dataclass(frozen=True)
class RenderedMessage:
    """An e-mail subject and body, and a short text for SMS or WhatsApp."""

    subject: str
    text: str
    short_text: str


def _local(instant: datetime, time_zone: str | ZoneInfo) -> datetime:
    _require_aware(instant, "instant")
    return instant.astimezone(time_zone if isinstance(time_zone, ZoneInfo) else ZoneInfo(time_zone))


def _offset(value: timedelta) -> str:
    minutes = int(value.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _zone_mark(local: datetime) -> str:
    """The abbreviation in force ("BST"), with the offset when it alone cannot tell a repeated
    wall-clock time from its other occurrence."""
    name = local.tzname()
    offset = local.utcoffset() or timedelta(0)
    other = local.replace(fold=1 - local.fold)
    if not name:
        return _offset(offset)
    if other.utcoffset() != offset and other.tzname() == name:
        return f"{name} ({_offset(offset)})"
    return name


def _clock(local: datetime) -> str:
    return f"{local:%H:%M} {_zone_mark(local)}"


def format_local_time(instant: datetime, *, time_zone: str | ZoneInfo) -> str:
    """E.g. "Monday 31 March 2025, 09:00 BST": unambiguous in any English-speaking country."""
    local = _local(instant, time_zone)
    return f"{local:%A} {local.day} {local:%B %Y}, {_clock(local)}"


def format_local_clock(instant: datetime, *, time_zone: str | ZoneInfo) -> str:
    """The time of day alone, e.g. "01:30 GMT", for a list under a day heading or an end time."""
    return _clock(_local(instant, time_zone))


def _short_time(instant: datetime, *, time_zone: str) -> str:
    local = _local(instant, time_zone)
    return f"{local:%a} {local.day} {local:%b} {_clock(local)}"


def _details(notice: AppointmentNotice) -> list[str]:
    when = format_local_time(notice.start, time_zone=notice.time_zone)
    until = format_local_clock(notice.end, time_zone=notice.time_zone)
    return [
        f"What:  {notice.visit_name} with {notice.clinician_name}",
        f"When:  {when} (until {until})",
        f"Where: {notice.clinic_name}, {notice.location}",
        f"Reference: {notice.reference}",
    ]


def _closing(notice: AppointmentNotice, *, offer_changes: bool) -> list[str]:
    lines: list[str] = []
    if offer_changes and notice.manage_url:
        lines.append(f"To change or cancel, go to {notice.manage_url}")
    if notice.contact_phone:
        lines.append(f"Questions? Call {notice.contact_phone}.")
    lines += ["", notice.clinic_name]
    return lines


def _body(greeting_line: str, notice: AppointmentNotice, *, offer_changes: bool) -> str:
    lines = [
        f"Dear {notice.patient_name},",
        "",
        greeting_line,
        "",
        *_details(notice),
        "",
        *_closing(notice, offer_changes=offer_changes),
    ]
    return "\n".join(lines) + "\n"


def _short(notice: AppointmentNotice, what: str) -> str:
    when = _short_time(notice.start, time_zone=notice.time_zone)
    text = (
        f"{notice.clinic_name}: {what} with {notice.clinician_name}, {when}. Ref {notice.reference}"
    )
    if notice.contact_phone:
        text += f". Call {notice.contact_phone}"
    return text


def render_confirmation(*, notice: AppointmentNotice) -> RenderedMessage:
    """The message sent when an appointment is booked."""
    when = format_local_time(notice.start, time_zone=notice.time_zone)
    return RenderedMessage(
        subject=f"Appointment confirmed: {when}",
        text=_body("Your appointment is booked.", notice, offer_changes=True),
        short_text=_short(notice, "appointment confirmed"),
    )


def render_change(*, notice: AppointmentNotice, previous_start: datetime) -> RenderedMessage:
    """The message sent when an appointment moves; it names the old time so nobody goes twice."""
    _require_aware(previous_start, "previous_start")
    before = format_local_time(previous_start, time_zone=notice.time_zone)
    when = format_local_time(notice.start, time_zone=notice.time_zone)
    return RenderedMessage(
        subject=f"Appointment moved to {when}",
        text=_body(
            f"Your appointment has moved. It is no longer on {before}; the new time is below.",
            notice,
            offer_changes=True,
        ),
        short_text=_short(notice, "appointment moved; new time"),
    )


def render_cancellation(*, notice: AppointmentNotice, by_clinic: bool = False) -> RenderedMessage:
    """The message sent when an appointment is cancelled, by the patient or by the clinic."""
    when = format_local_time(notice.start, time_zone=notice.time_zone)
    opening = (
        "We are sorry: the clinic has had to cancel your appointment. We will contact you to "
        "find a new time."
        if by_clinic
        else "Your appointment has been cancelled as you asked."
    )
    return RenderedMessage(
        subject=f"Appointment cancelled: {when}",
        text=_body(opening, notice, offer_changes=False),
        short_text=_short(notice, "appointment CANCELLED"),
    )


def render_reminder(*, notice: AppointmentNotice) -> RenderedMessage:
    """The reminder sent ahead of the appointment (the worker decides when)."""
    when = format_local_time(notice.start, time_zone=notice.time_zone)
    return RenderedMessage(
        subject=f"Reminder: appointment on {when}",
        text=_body(
            "This is a reminder of your appointment. If you cannot come, please tell us so we "
            "can offer the time to another patient.",
            notice,
            offer_changes=True,
        ),
        short_text=_short(notice, "reminder of your appointment"),
    )
