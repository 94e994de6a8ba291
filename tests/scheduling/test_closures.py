"""Clinic closures: public holidays are closed unless an admin opens them, any other day can be
closed, and a closed day offers no slot to search or booking."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit.models import AuditEvent
from plexcare.errors import Forbidden, InvalidInput
from plexcare.scheduling import closures, search
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import ClinicDay
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.scheduling.test_booking import patient

GOOD_FRIDAY = date(2026, 4, 3)
EASTER_MONDAY = date(2026, 4, 6)
WEDNESDAY = date(2026, 3, 4)


def admin(clinic_people: SmallClinic) -> Actor:
    return Actor(user_id=clinic_people.admin.id, role="admin")


def days_with_slots(session: Session, first: date, last: date) -> set[date]:
    found = search.search(
        session=session, now=TEST_NOW, first_day=first, last_day=last, limit=10_000
    )
    return {item.slot.start.date() for item in found}


def test_the_clinic_calendar_names_the_english_bank_holidays() -> None:
    holidays = closures.public_holidays(date(2026, 12, 1), date(2026, 12, 31))
    assert holidays[date(2026, 12, 25)] == "Christmas Day"
    assert date(2026, 12, 28) in holidays  # Boxing Day observed on the Monday
    assert date(2026, 12, 24) not in holidays


def test_public_holidays_offer_no_slots_and_the_days_around_them_do(
    session: Session, small_clinic: SmallClinic
) -> None:
    days = days_with_slots(session, date(2026, 4, 2), date(2026, 4, 7))
    assert days == {date(2026, 4, 2), date(2026, 4, 7)}


def test_an_admin_closing_a_day_takes_its_slots_away_and_booking_it_is_refused(
    session: Session, small_clinic: SmallClinic
) -> None:
    assert WEDNESDAY in days_with_slots(session, WEDNESDAY, WEDNESDAY)
    closures.set_day(
        session=session,
        actor=admin(small_clinic),
        day=WEDNESDAY,
        closed=True,
        note="Staff training",
        now=TEST_NOW,
    )
    session.commit()
    assert days_with_slots(session, WEDNESDAY, WEDNESDAY) == set()
    with pytest.raises(InvalidInput, match="closed") as refused:
        booking.book(
            session=session,
            actor=patient(small_clinic),
            clinician_id=small_clinic.neurologist.id,
            appointment_type_id=small_clinic.consultation.id,
            starts_at=datetime(2026, 3, 4, 10, tzinfo=UTC),
            now=TEST_NOW,
        )
    assert refused.value.field == "starts_at"
    audited = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.subject_type == "clinic_day", AuditEvent.subject_id == "2026-03-04")
    )
    assert audited == 1


def test_an_admin_can_open_a_public_holiday_and_reopening_the_default_forgets_the_row(
    session: Session, small_clinic: SmallClinic
) -> None:
    closures.set_day(
        session=session,
        actor=admin(small_clinic),
        day=GOOD_FRIDAY,
        closed=False,
        note="Open for the EMG backlog",
        now=TEST_NOW,
    )
    session.commit()
    assert GOOD_FRIDAY in days_with_slots(session, GOOD_FRIDAY, GOOD_FRIDAY)
    state = closures.days_between(session=session, first_day=GOOD_FRIDAY, last_day=GOOD_FRIDAY)
    assert [(s.closed, s.holiday, s.note) for s in state] == [
        (False, "Good Friday", "Open for the EMG backlog")
    ]
    closures.set_day(
        session=session,
        actor=admin(small_clinic),
        day=GOOD_FRIDAY,
        closed=True,
        note="",
        now=TEST_NOW,
    )
    session.commit()
    assert session.scalar(select(func.count()).select_from(ClinicDay)) == 0
    assert days_with_slots(session, GOOD_FRIDAY, GOOD_FRIDAY) == set()


@pytest.mark.parametrize("role", ["front_desk", "clinician", "patient"])
def test_only_an_admin_closes_the_clinic(
    session: Session, small_clinic: SmallClinic, role: str
) -> None:
    with pytest.raises(Forbidden):
        closures.set_day(
            session=session,
            actor=Actor(user_id=small_clinic.front_desk.id, role=role),
            day=WEDNESDAY,
            closed=True,
            note="",
            now=TEST_NOW,
        )


def test_a_note_longer_than_two_hundred_characters_is_refused_by_name(
    session: Session, small_clinic: SmallClinic
) -> None:
    with pytest.raises(InvalidInput) as refused:
        closures.set_day(
            session=session,
            actor=admin(small_clinic),
            day=WEDNESDAY,
            closed=True,
            note="x" * 201,
            now=TEST_NOW,
        )
    assert refused.value.field == "note"
