"""What the self-check offers, at the edges `make mutate` found unguarded: "within 24 hours"
means strictly before the same time tomorrow, "within days" counts the clinic's own dates, the
clinic's new-patient visit is the one offered, GP-only urgent advice says so, no slot means a
call, and only a patient's own self-check is kept in a record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.clinic import service as clinic
from plexcare.config import get_settings
from plexcare.scheduling.availability import ExceptionKind
from plexcare.triage.models import TriageRecord
from plexcare.triage.service import WHAT_TO_DO
from tests.conftest_db import Personas, SmallClinic, make_app
from tests.self_check_answers import NO_WARNINGS
from tests.triage.test_self_check_booking import (
    CANCER_WITH_BACK_PAIN,
    HARD_TO_WALK,
    WORSENING_WEAKNESS,
    neurologists_away,
    self_check,
)

MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
"""Monday 2 March 2026, 10:00 in London (GMT): the same time tomorrow is a slot time."""
SUNDAY_NIGHT_IN_JUNE = datetime(2026, 6, 7, 23, 30, tzinfo=UTC)
"""Already Monday 8 June, 00:30, in London (BST): the clinic's today is not UTC's."""
WEIGHT_LOSS_WITH_BACK_PAIN: dict[str, Any] = {
    **NO_WARNINGS,
    "weight_loss": True,
    "back_pain": True,
}


@pytest.fixture
def client_at(db_url: str) -> Iterator[dict[datetime, TestClient]]:
    """A browser on the app whose clock reads each of the instants above."""
    with (
        TestClient(make_app(db_url, now=MONDAY_10)) as monday,
        TestClient(make_app(db_url, now=SUNDAY_NIGHT_IN_JUNE)) as june,
    ):
        yield {MONDAY_10: monday, SUNDAY_NIGHT_IN_JUNE: june}


def _away(session: Session, small_clinic: SmallClinic, first_day: date, last_day: date) -> None:
    for neurologist in (small_clinic.neurologist, small_clinic.second_neurologist):
        clinic.add_exception(
            session=session,
            clinician_id=neurologist.id,
            kind=ExceptionKind.LEAVE,
            first_day=first_day,
            last_day=last_day,
        )
    session.commit()


def _starts(body: dict[str, Any]) -> list[datetime]:
    return [datetime.fromisoformat(slot["starts_at"]) for slot in body["slots"]]


def test_same_day_slots_start_strictly_before_this_time_tomorrow(
    client_at: dict[datetime, TestClient], small_clinic: SmallClinic, session: Session
) -> None:
    neurologists_away(session, small_clinic, until=date(2026, 3, 2))
    body = self_check(client_at[MONDAY_10], CANCER_WITH_BACK_PAIN)
    tomorrow_9 = MONDAY_10 + timedelta(hours=23)
    assert body["next_step"] == "book_today"
    assert sorted(_starts(body)) == [tomorrow_9] * 2 + [tomorrow_9 + timedelta(minutes=30)] * 2


def test_within_days_counts_the_clinics_dates_not_utcs(
    client_at: dict[datetime, TestClient], small_clinic: SmallClinic, session: Session
) -> None:
    _away(session, small_clinic, date(2026, 6, 8), date(2026, 6, 10))
    body = self_check(client_at[SUNDAY_NIGHT_IN_JUNE], WORSENING_WEAKNESS)
    assert body["urgency"] == "urgent"
    assert body["next_step"] == "book_urgent"
    thursday = date(2026, 6, 11)
    assert _starts(body)
    assert {start.date() for start in _starts(body)} == {thursday}


def test_the_clinics_new_patient_visit_is_found_even_behind_many_other_slots(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    """Only the second neurologist offers new-patient visits, and is away for a week: the
    search must look past the first neurologist's many earlier follow-up slots."""
    new_patient = clinic.add_appointment_type(
        session=session,
        code="new_consultation",
        name="New patient consultation",
        duration_minutes=45,
        minimum_notice_minutes=60,
    )
    clinic.offer_appointment_types(
        session=session,
        clinician=small_clinic.second_neurologist,
        appointment_types=(new_patient,),
    )
    clinic.add_exception(
        session=session,
        clinician_id=small_clinic.second_neurologist.id,
        kind=ExceptionKind.LEAVE,
        first_day=date(2026, 3, 2),
        last_day=date(2026, 3, 8),
    )
    session.commit()
    body = self_check(client, HARD_TO_WALK)
    assert body["next_step"] == "book"
    assert {slot["appointment_type"] for slot in body["slots"]} == {"new_consultation"}
    assert {slot["clinician_id"] for slot in body["slots"]} == {small_clinic.second_neurologist.id}
    assert min(_starts(body)).date() == date(2026, 3, 9)


def test_urgent_advice_for_the_gp_alone_says_see_the_gp_within_days(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    body = self_check(client, WEIGHT_LOSS_WITH_BACK_PAIN)
    assert (body["urgency"], body["see"], body["specialty"]) == (
        "urgent",
        ["general_practice"],
        None,
    )
    assert (body["next_step"], body["slots"], body["callback"]) == ("gp_soon", [], None)
    assert body["what_to_do"] == WHAT_TO_DO["gp_soon"]


def test_a_soon_answer_with_no_slot_in_two_weeks_offers_a_routine_call(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    neurologists_away(session, small_clinic, until=date(2026, 4, 30))
    body = self_check(client, HARD_TO_WALK)
    assert (body["urgency"], body["next_step"], body["slots"]) == ("soon", "call_us", [])
    assert body["callback"]["urgency"] == "routine"
    assert body["what_to_do"] == WHAT_TO_DO["call_us"]


@pytest.mark.parametrize("who", ["front_desk", "clinician", "admin"])
def test_staff_trying_the_self_check_keep_nothing_in_a_record(
    client: TestClient, personas: Personas, session: Session, who: str
) -> None:
    body = self_check(client, HARD_TO_WALK, personas.headers[who])
    assert body["saved_to_record"] is False
    assert session.scalar(select(func.count()).select_from(TriageRecord)) == 0


@pytest.fixture
def clinic_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PLEXCARE_CLINIC_TIMEZONE", "America/New_York")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_phone_team_keeps_the_clinics_own_hours(
    db_url: str, small_clinic: SmallClinic, clinic_in_new_york: None
) -> None:
    """At 20:00 in London it is 15:00 in New York: an urgent call is due two phone hours
    later, at 17:00 there, not the next London morning."""
    monday_evening = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    with TestClient(make_app(db_url, now=monday_evening)) as client:
        body = self_check(client, WORSENING_WEAKNESS)
    assert body["callback"]["urgency"] == "urgent"
    due = datetime.fromisoformat(body["callback"]["due_at"])
    assert due == datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
