"""The public self-check routes each urgency to the right offer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.clinic import service as clinic
from plexcare.scheduling.availability import ExceptionKind
from plexcare.triage.models import TriageRecord
from tests.conftest_db import TEST_NOW, Personas, SmallClinic, make_app
from tests.self_check_answers import NO_WARNINGS

SADDLE_NUMBNESS = {"saddle_numbness": True, "back_pain": True}
BLEEDING_ON_BLOOD_THINNER = {"blood_thinner": True, "sudden_pain": True}
WORSENING_WEAKNESS = {**NO_WARNINGS, "weakness_getting_worse": "over_weeks", "leg_weakness": "mild"}
HARD_TO_WALK = {**NO_WARNINGS, "leg_weakness": "walking_hard", "started": "weeks"}
SEVERE_PAIN = {**NO_WARNINGS, "pain_score": 8}
NUMBNESS_ONLY = {**NO_WARNINGS, "numbness": True, "leg_weakness": "none"}
CANCER_WITH_BACK_PAIN = {
    **NO_WARNINGS,
    "cancer": True,
    "back_pain": True,
    "leg_pain": False,
    "leg_weakness": "none",
    "numbness": False,
}
DRUG_INJECTION_BACK_PAIN = {**CANCER_WITH_BACK_PAIN, "cancer": False, "injects_drugs": True}
FRIDAY_EVENING = datetime(2026, 3, 6, 19, 0, tzinfo=UTC)


def neurologists_away(session: Session, small_clinic: SmallClinic, *, until: date) -> None:
    """Both neurologists on leave from Monday 2 March 2026 to `until`."""
    for neurologist in (small_clinic.neurologist, small_clinic.second_neurologist):
        clinic.add_exception(
            session=session,
            clinician_id=neurologist.id,
            kind=ExceptionKind.LEAVE,
            first_day=date(2026, 3, 2),
            last_day=until,
        )
    session.commit()


def self_check(
    client: TestClient, answers: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    answer = client.post("/api/v1/triage", json={"answers": answers}, headers=headers or {})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize("answers", [SADDLE_NUMBNESS, BLEEDING_ON_BLOOD_THINNER])
def test_an_emergency_gets_emergency_advice_and_a_call_never_a_slot(
    client: TestClient, small_clinic: SmallClinic, answers: dict[str, Any]
) -> None:
    body = self_check(client, answers)
    assert body["urgency"] == "emergency"
    assert body["next_step"] == "emergency"
    assert body["slots"] == []
    assert "emergency department" in body["what_to_do"]
    assert body["callback"]["urgency"] == "urgent"
    assert body["emergency_number"] == "999"
    assert body["reasons"]
    assert body["further_advice"] == []


def test_a_same_day_answer_is_offered_only_slots_within_24_hours(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    body = self_check(client, CANCER_WITH_BACK_PAIN)
    assert body["urgency"] == "same_day"
    assert body["specialty"] == "neurology"
    assert body["next_step"] == "book_today"
    starts = [datetime.fromisoformat(slot["starts_at"]) for slot in body["slots"]]
    assert starts
    assert all(start - TEST_NOW < timedelta(hours=24) for start in starts)
    assert body["callback"]["urgency"] == "urgent"
    assert body["callback"]["in_time"] is True


def test_a_same_day_answer_with_no_slot_today_offers_a_call_not_a_later_slot(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    """Monday is fully away; Tuesday 09:00 is 25 hours after Monday 08:00, so no slot."""
    neurologists_away(session, small_clinic, until=date(2026, 3, 2))
    body = self_check(client, CANCER_WITH_BACK_PAIN)
    assert body["next_step"] == "call_today"
    assert body["slots"] == []


def test_same_day_advice_that_names_a_gp_pushes_no_specialist_booking(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    body = self_check(client, DRUG_INJECTION_BACK_PAIN)
    assert body["urgency"] == "same_day"
    assert body["see"][0] == "general_practice"
    assert body["specialty"] is None
    assert body["next_step"] == "gp_today"
    assert body["slots"] == []
    assert "GP" in body["what_to_do"] and "111" in body["what_to_do"]


def test_a_same_day_call_that_cannot_come_in_time_says_so_and_names_the_out_of_hours_line(
    db_url: str, small_clinic: SmallClinic
) -> None:
    with TestClient(make_app(db_url, now=FRIDAY_EVENING)) as late:
        body = self_check(late, CANCER_WITH_BACK_PAIN)
    due = datetime.fromisoformat(body["callback"]["due_at"])
    assert due.date() == date(2026, 3, 9)
    assert body["callback"]["in_time"] is False


def test_blank_warning_questions_are_named_back_and_never_reassured(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    body = self_check(client, {"numbness": True})
    assert set(NO_WARNINGS) <= set(body["unanswered_warnings"])
    said = " ".join(r["reason"] for r in body["reasons"] + body["further_advice"])
    assert "anything urgent" not in said


def test_an_urgent_answer_is_offered_the_earliest_neurology_slots_within_days(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    body = self_check(client, WORSENING_WEAKNESS)
    assert body["urgency"] == "urgent"
    assert body["specialty"] == "neurology"
    assert body["next_step"] == "book_urgent"
    starts = [datetime.fromisoformat(slot["starts_at"]) for slot in body["slots"]]
    assert starts
    assert starts == sorted(starts)
    assert all(start - TEST_NOW < timedelta(days=4) for start in starts)
    assert {slot["specialty"] for slot in body["slots"]} == {"neurology"}
    assert {slot["appointment_type"] for slot in body["slots"]} == {"neuro_consult"}


def test_an_urgent_answer_with_no_slot_in_time_is_offered_an_urgent_call(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    neurologists_away(session, small_clinic, until=date(2026, 3, 13))
    body = self_check(client, WORSENING_WEAKNESS)
    assert body["next_step"] == "call_us"
    assert body["slots"] == []
    assert body["callback"]["urgency"] == "urgent"


def test_a_soon_answer_gets_an_ordinary_neurology_slot_search(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    body = self_check(client, HARD_TO_WALK)
    assert body["urgency"] == "soon"
    assert body["specialty"] == "neurology"
    assert body["next_step"] == "book"
    assert body["slots"]
    assert {slot["specialty"] for slot in body["slots"]} == {"neurology"}


def test_severe_pain_is_offered_the_pain_clinic(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    body = self_check(client, SEVERE_PAIN)
    assert body["urgency"] == "soon"
    assert body["specialty"] == "pain_medicine"
    assert {slot["clinician_id"] for slot in body["slots"]} == {small_clinic.pain.id}


def test_a_routine_answer_that_names_only_a_gp_pushes_no_specialist_booking(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    body = self_check(client, NUMBNESS_ONLY)
    assert body["urgency"] == "routine"
    assert body["see"] == ["general_practice"]
    assert body["specialty"] is None
    assert body["next_step"] == "gp"
    assert body["slots"] == []


def test_an_anonymous_self_check_stores_nothing(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    body = self_check(client, HARD_TO_WALK)
    assert body["saved_to_record"] is False
    assert session.scalar(select(func.count()).select_from(TriageRecord)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_signed_in_patients_result_is_kept_in_their_record_and_audited(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, session: Session
) -> None:
    body = self_check(client, HARD_TO_WALK, personas.headers["patient_a"])
    assert body["saved_to_record"] is True
    record = session.scalar(select(TriageRecord))
    assert record is not None
    assert (record.patient_id, record.urgency, record.specialty) == (
        small_clinic.patient_a.id,
        "soon",
        "neurology",
    )
    assert record.answers == HARD_TO_WALK
    event = session.scalar(select(AuditEvent))
    assert event is not None
    assert (event.action, event.subject_type) == ("create", "triage_record")


def test_an_unknown_question_is_refused_naming_it(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = client.post("/api/v1/triage", json={"answers": {"saddle_numb": True}})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "answers.saddle_numb"
    assert "saddle_numbness" in answer.json()["detail"]


def test_a_wrong_kind_of_answer_is_refused_naming_the_question(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = client.post("/api/v1/triage", json={"answers": {"pain_score": 14}})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "answers.pain_score"


def test_the_questionnaire_is_public_and_in_plain_words(client: TestClient) -> None:
    answer = client.get("/api/v1/triage/questions")
    assert answer.status_code == 200
    ids = {question["id"] for question in answer.json()["questions"]}
    assert {"saddle_numbness", "leg_weakness", "pain_score"} <= ids
