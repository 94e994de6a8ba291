"""What the booking pages show: the search form, free slots by day in the clinic's time zone,
a held slot, and the patient's own appointments. Built from service results, no web code.

Slots carry their start as a UTC ISO string in the form (what the services take), and a label
in the clinic's zone (what people read), so a visitor abroad books the time the clinic means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.clinic.service import Specialty
from plexcare.portal.layout import PortalPage, clock_label, when_label
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.policy import AppointmentStatus, NoticePolicy
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
    chosen_day: str = ""


@dataclass(frozen=True)
class CalendarDay:
    """One cell of the calendar: a day of the search with its free times, or a blank."""

    day: int
    label: str
    free: int
    href: str
    chosen: bool
    in_range: bool


@dataclass(frozen=True)
class CalendarWeek:
    days: tuple[CalendarDay, ...]


@dataclass(frozen=True)
class Calendar:
    """What the booking pages show of a search: the weeks, the chosen day's times, paging."""

    weeks: tuple[CalendarWeek, ...] = ()
    days: tuple[DaySlots, ...] = ()
    chosen_label: str = ""
    earlier_query: str = ""
    later_query: str = ""


@dataclass(frozen=True, kw_only=True)
class CalendarPage(PortalPage):
    """A page that offers free times on the calendar: finding a time, moving an appointment
    (the patient's or the desk's) and booking for a caller. The weeks page on to `here`, the
    page's own path, with the search kept in the query."""

    values: SearchValues
    errors: dict[str, str] = field(default_factory=dict)
    calendar: Calendar = Calendar()
    here: str
    time_zone: str

    @property
    def days(self) -> tuple[DaySlots, ...]:
        return self.calendar.days

    @property
    def weeks(self) -> tuple[CalendarWeek, ...]:
        return self.calendar.weeks

    @property
    def chosen_label(self) -> str:
        return self.calendar.chosen_label

    @property
    def earlier_href(self) -> str:
        query = self.calendar.earlier_query
        return f"{self.here}?{query}#calendar" if query else ""

    @property
    def later_href(self) -> str:
        query = self.calendar.later_query
        return f"{self.here}?{query}#calendar" if query else ""


@dataclass(frozen=True, kw_only=True)
class BookPage(CalendarPage):
    specialties: tuple[Choice, ...]
    clinicians: tuple[Choice, ...]
    appointment_types: tuple[Choice, ...]
    searched: bool = False
    back: str = ""
    """The search as a query string, carried through holding a slot and back."""
    can_book: bool
    sign_in_href: str


@dataclass(frozen=True, kw_only=True)
class HoldPage(PortalPage):
    hold_id: int
    when: str
    clinician: str
    visit: str
    expires: str
    back: str = ""


@dataclass(frozen=True)
class AppointmentRow:
    id: int
    when: str
    clinician: str
    visit: str
    status: str
    changeable: bool
    google_href: str = ""
    outlook_href: str = ""
    late_cancellation: bool = False
    """Cancelling now would be late (inside the notice period) and count as a strike."""


@dataclass(frozen=True)
class NoticeRule:
    """The clinic's notice rule in words, shown before a patient changes an appointment."""

    hours: int
    strikes_allowed: int
    lookback_months: int
    strikes: int
    paused: bool


@dataclass(frozen=True, kw_only=True)
class MyAppointmentsPage(PortalPage):
    done: str
    upcoming: tuple[AppointmentRow, ...]
    past: tuple[AppointmentRow, ...]
    time_zone: str
    rule: NoticeRule | None = None


@dataclass(frozen=True, kw_only=True)
class ReschedulePage(CalendarPage):
    appointment: AppointmentRow
    rule: NoticeRule | None = None


@dataclass(frozen=True, kw_only=True)
class CancelPage(PortalPage):
    """ "Are you sure?": the appointment, the notice rule, whether this would be late, and a
    reason to give."""

    appointment: AppointmentRow
    rule: NoticeRule
    reasons: tuple[Choice, ...]
    reason: str = ""
    detail: str = ""
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class MoveConfirmPage(PortalPage):
    appointment: AppointmentRow
    new_when: str
    starts_at: str
    rule: NoticeRule
    reasons: tuple[Choice, ...]
    reason: str = ""
    error: str = ""


CHANGE_REASONS = (
    Choice("cannot_attend", "I cannot come at this time"),
    Choice("feeling_better", "I am feeling better"),
    Choice("seen_elsewhere", "I am being seen elsewhere"),
    Choice("booked_by_mistake", "I booked it by mistake"),
    Choice("other", "Another reason"),
)
"""Why a patient cancels or moves: the clinic reads these to free slots sooner, not to judge."""


def reason_text(code: str, detail: str) -> str | None:
    """The stored reason: the chosen reason's words and the patient's own, if any."""
    labels = {choice.value: choice.label for choice in CHANGE_REASONS}
    if code not in labels:
        return None
    return f"{labels[code]}. {detail}".strip()[:500] if detail else labels[code]


def google_calendar_href(
    *, title: str, start: datetime, end: datetime, location: str, details: str
) -> str:
    """A "add to Google Calendar" link: the event is prefilled, nothing is sent anywhere
    until the patient saves it there."""
    stamp = "%Y%m%dT%H%M%SZ"
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": title,
            "dates": f"{start.astimezone(UTC):{stamp}}/{end.astimezone(UTC):{stamp}}",
            "location": location,
            "details": details,
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def outlook_calendar_href(
    *, title: str, start: datetime, end: datetime, location: str, details: str
) -> str:
    """The same for Outlook on the web."""
    query = urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": title,
            "startdt": start.astimezone(UTC).isoformat(),
            "enddt": end.astimezone(UTC).isoformat(),
            "location": location,
            "body": details,
        }
    )
    return f"https://outlook.live.com/calendar/0/deeplink/compose?{query}"


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
    location: str = "",
    notice: NoticePolicy | None = None,
) -> AppointmentRow:
    notice = notice or NoticePolicy()
    clinician = clinicians.get(appointment.clinician_id)
    kind = kinds.get(appointment.appointment_type_id)
    who = clinician.full_name if clinician else "a clinician"
    what = kind.name if kind else "appointment"
    changeable = (
        appointment.status == AppointmentStatus.BOOKED.value and appointment.starts_at > now
    )
    title = f"{what} with {who}"
    details = f"{title}. To change it, sign in at the clinic's website or call the clinic."
    return AppointmentRow(
        id=appointment.id,
        when=when_label(appointment.starts_at, zone),
        clinician=who,
        visit=what,
        status=STATUS_LABELS.get(appointment.status, appointment.status),
        changeable=changeable,
        google_href=google_calendar_href(
            title=title,
            start=appointment.starts_at,
            end=appointment.ends_at,
            location=location,
            details=details,
        )
        if changeable
        else "",
        outlook_href=outlook_calendar_href(
            title=title,
            start=appointment.starts_at,
            end=appointment.ends_at,
            location=location,
            details=details,
        )
        if changeable
        else "",
        late_cancellation=changeable and appointment.starts_at - now < notice.cancellation_notice,
    )


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def calendar_weeks(
    *,
    first: date,
    last: date,
    counts: Mapping[date, int],
    chosen: date | None,
    link: Callable[[date], str],
) -> tuple[CalendarWeek, ...]:
    """Monday-first weeks covering first..last; days outside the range are blank cells."""
    start = first - timedelta(days=first.weekday())
    weeks: list[CalendarWeek] = []
    while start <= last:
        cells = []
        for offset in range(7):
            day = start + timedelta(days=offset)
            in_range = first <= day <= last
            free = counts.get(day, 0) if in_range else 0
            cells.append(
                CalendarDay(
                    day=day.day,
                    label=day_label(day),
                    free=free,
                    href=f"?{link(day)}#slots-heading" if free else "",
                    chosen=day == chosen,
                    in_range=in_range,
                )
            )
        weeks.append(CalendarWeek(tuple(cells)))
        start += timedelta(days=7)
    return tuple(weeks)
