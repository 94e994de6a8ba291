"""The days the whole clinic is closed: public holidays by default, and what admins decide.

Public holidays come from the `holidays` package for the clinic's calendar
(`PLEXCARE_PUBLIC_HOLIDAYS`, e.g. `GB-ENG`), so next Christmas closes without anyone entering
it. Admins store only departures (`ClinicDay`): a day closed that is not a holiday, or a
holiday opened after all. A closed day offers no slot to search or booking: closures enter the
schedule (`ClinicianSchedule.closed_days`), the one place slots come from. Appointments already
booked on a day closed later stay booked: the front desk moves them with the patient (the day
sheet lists them), the calendar never cancels on its own. Never commits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.config import get_settings
from plexcare.errors import InvalidInput
from plexcare.scheduling.availability import ClinicianSchedule
from plexcare.scheduling.models import ClinicDay

NOTE_LIMIT = 200


@dataclass(frozen=True)
class ClinicDayState:
    """One day as the admin page shows it: closed or open, and why."""

    day: date
    closed: bool
    holiday: str
    """The public holiday's name, or empty."""
    note: str
    """What the admin wrote when closing or opening it."""


@lru_cache(maxsize=64)
def _holiday_calendar(region: str, year: int) -> dict[date, str]:
    """The region's public holidays of one year. The `holidays` package is imported here, on
    the first calendar asked for: importing its country tables took some 0.15 s of every
    start, before any page that shows a day needed them."""
    import holidays

    country, _, subdivision = region.partition("-")
    calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return {day: str(name) for day, name in calendar.items()}


def public_holidays(first_day: date, last_day: date) -> dict[date, str]:
    """The clinic calendar's public holidays from first_day to last_day, by name."""
    region = get_settings().public_holidays
    found: dict[date, str] = {}
    for year in range(first_day.year, last_day.year + 1):
        for day, name in _holiday_calendar(region, year).items():
            if first_day <= day <= last_day:
                found[day] = name
    return found


def _departures(session: Session, first_day: date, last_day: date) -> dict[date, ClinicDay]:
    rows = session.scalars(
        select(ClinicDay).where(ClinicDay.day >= first_day, ClinicDay.day <= last_day)
    )
    return {row.day: row for row in rows}


def days_between(*, session: Session, first_day: date, last_day: date) -> list[ClinicDayState]:
    """Every holiday and every admin decision from first_day to last_day, in date order."""
    holiday_names = public_holidays(first_day, last_day)
    stored = _departures(session, first_day, last_day)
    return [
        ClinicDayState(
            day=day,
            closed=not stored[day].is_open if day in stored else True,
            holiday=holiday_names.get(day, ""),
            note=stored[day].note if day in stored else "",
        )
        for day in sorted(set(holiday_names) | set(stored))
    ]


def closed_given(
    *, first_day: date, last_day: date, open_by_day: Mapping[date, bool]
) -> frozenset[date]:
    """The closed local dates from first_day to last_day, given the admins' stored departures
    (day -> is open) already read: the slot search reads them in its one query."""
    closed = {
        day for day in public_holidays(first_day, last_day) if open_by_day.get(day) is not True
    }
    closed.update(
        day for day, is_open in open_by_day.items() if not is_open and first_day <= day <= last_day
    )
    return frozenset(closed)


def closed_days(*, session: Session, first_day: date, last_day: date) -> frozenset[date]:
    """The local dates from first_day to last_day on which the clinic offers nothing."""
    return frozenset(
        state.day
        for state in days_between(session=session, first_day=first_day, last_day=last_day)
        if state.closed
    )


def with_closures(
    *, session: Session, schedule: ClinicianSchedule, first_day: date, last_day: date
) -> ClinicianSchedule:
    """The schedule with the clinic's closed days between first_day and last_day."""
    closed = closed_days(session=session, first_day=first_day, last_day=last_day)
    return dataclasses.replace(schedule, closed_days=schedule.closed_days | closed)


def set_day(
    *, session: Session, actor: Actor, day: date, closed: bool, note: str, now: datetime
) -> ClinicDay | None:
    """Close or open one day (admins only). Deciding what the holiday calendar already says
    removes the stored departure instead, so the calendar speaks again for that day."""
    actor.require_role(Role.admin)
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise InvalidInput(f"at most {NOTE_LIMIT} characters", field="note")
    row = session.scalar(select(ClinicDay).where(ClinicDay.day == day).with_for_update())
    by_default_closed = day in public_holidays(day, day)
    audit.record_access(
        session=session,
        actor=actor,
        action="update",
        subject_type="clinic_day",
        subject_id=day.isoformat(),
        patient_user_id=None,
        now=now,
    )
    if closed == by_default_closed and not note:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if row is None:
        row = ClinicDay(day=day, is_open=not closed, note=note, changed_at=now)
        session.add(row)
    row.is_open = not closed
    row.note = note
    row.changed_by_user_id = actor.user_id
    row.changed_at = now
    session.flush()
    return row
