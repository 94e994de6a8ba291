"""What the callback form offers and what its answer promises, built without web code.

The promise follows the clinic's real hours: the phones' working days and times from settings
and the public holidays of the clinic's calendar (`callbacks.service.clinic_hours`). Asked
while the phones are closed, the answer says so, says when they open, and for an urgent
request says where to get help before then (the out-of-hours line, the emergency number),
rather than a bare time that reads as if someone were about to ring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from plexcare.callbacks.queue_rules import ClinicHours
from plexcare.portal.layout import PortalPage, clock_label, when_label

REASONS = (
    ("appointment", "Booking or changing an appointment"),
    ("symptoms", "Questions about my symptoms"),
    ("results", "Test results or reports"),
    ("second_opinion", "A second opinion"),
    ("packages", "Health packages and prices"),
    ("other", "Something else"),
)
"""Why people ask the clinic to call, so the desk knows who should ring back."""
DETAILS_LIMIT = 900
NAME_LIMIT = 200
PHONE_LIMIT = 40
ASAP = "soon"
PARTS_OF_DAY = (("am", "morning", time(8), time(13)), ("pm", "afternoon", time(13), time(18)))
DAYS_OFFERED = 5


@dataclass(frozen=True)
class TimeChoice:
    value: str
    label: str


@dataclass(frozen=True, kw_only=True)
class CallbackFormPage(PortalPage):
    urgency: str
    action: str
    hours: str
    closed_now: str
    out_of_hours_number: str
    emergency_number: str
    times: tuple[TimeChoice, ...]
    reasons: tuple[tuple[str, str], ...] = REASONS
    full_name: str = ""
    phone: str = ""
    best_time: str = ASAP
    reason: str = ""
    details: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    limits: Mapping[str, int] = field(
        default_factory=lambda: {
            "full_name": NAME_LIMIT,
            "phone": PHONE_LIMIT,
            "details": DETAILS_LIMIT,
        }
    )


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def hours_label(hours: ClinicHours) -> str:
    days = "Monday to Friday" if hours.working_days == frozenset(range(5)) else "working days"
    return f"{days}, {hours.opens:%H:%M}–{hours.closes:%H:%M}, closed on public holidays"


def is_open(hours: ClinicHours, now: datetime) -> bool:
    day = now.astimezone(hours.zone).date()
    if not hours.is_working_day(day):
        return False
    opens, closes = hours.open_interval(day)
    return opens <= now < closes


def next_opening(hours: ClinicHours, now: datetime) -> datetime:
    """When the phones are next staffed (now, if they are)."""
    day = now.astimezone(hours.zone).date()
    for _ in range(400):
        if hours.is_working_day(day):
            opens, closes = hours.open_interval(day)
            if now < closes:
                return max(opens, now)
        day += timedelta(days=1)
    raise ValueError("the clinic has no working hours in the coming year")


def _windows(hours: ClinicHours, now: datetime) -> list[tuple[str, str, Window]]:
    zone = hours.zone
    found: list[tuple[str, str, Window]] = []
    day = now.astimezone(zone).date()
    while len({value.split("/")[0] for value, _label, _w in found}) < DAYS_OFFERED:
        if hours.is_working_day(day):
            for code, part, starts, ends in PARTS_OF_DAY:
                start = datetime.combine(day, max(starts, hours.opens), tzinfo=zone)
                end = datetime.combine(day, min(ends, hours.closes), tzinfo=zone)
                if start > now and end > start:
                    label = f"{start:%A} {start.day} {start:%B}, {part} ({start:%H:%M}–{end:%H:%M})"
                    found.append((f"{day.isoformat()}/{code}", label, Window(start, end)))
        day += timedelta(days=1)
        if (day - now.astimezone(zone).date()).days > 60:
            break
    return found


def time_choices(hours: ClinicHours, now: datetime) -> tuple[TimeChoice, ...]:
    """ "As soon as you can", then mornings and afternoons of the next working days."""
    return (
        TimeChoice(ASAP, "As soon as you can"),
        *(TimeChoice(value, label) for value, label, _window in _windows(hours, now)),
    )


def chosen_window(value: str, hours: ClinicHours, now: datetime) -> Window | None | str:
    """The window for a choice on the form: None for "as soon as you can", the window, or
    an error message when the choice is not one the form offers now."""
    if value in ("", ASAP):
        return None
    for offered, _label, window in _windows(hours, now):
        if offered == value:
            return window
    return "Choose a time from the list; the one chosen has passed or is not offered."


def promise(
    *,
    due: datetime,
    window: Window | None,
    urgent: bool,
    hours: ClinicHours,
    now: datetime,
    out_of_hours_number: str,
    emergency_number: str,
) -> tuple[str, ...]:
    """What the answer page says will happen, sentence by sentence, all of it true."""
    zone = hours.zone
    said: list[str] = []
    if window is not None:
        said.append(
            f"The clinic will call you on {window.start:%A} {window.start.day} "
            f"{window.start:%B} between {clock_label(window.start, zone)} and "
            f"{clock_label(window.end, zone)}, as you asked."
        )
    elif is_open(hours, now):
        said.append(f"The clinic will call you by {when_label(due, zone)}.")
    else:
        opening = next_opening(hours, now)
        said.append(
            f"The clinic's phones are closed now ({hours_label(hours)}). They open again on "
            f"{when_label(opening, zone)}, and we will call you by {when_label(due, zone)}."
        )
        if urgent:
            said.append(
                f"If it cannot wait until then, call {out_of_hours_number} now for urgent "
                "medical advice."
            )
    said.append(
        f"If you get much worse before we call, call {emergency_number} or go to an emergency "
        "department."
    )
    return tuple(said)
