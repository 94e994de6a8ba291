"""Booking through the service and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.clinic import service as clinic
from plexcare.errors import Conflict, InvalidInput
from plexcare.notifications.models import OutboxMessage
from plexcare.scheduling import service as booking
from plexcare.scheduling.availability import ExceptionKind
from plexcare.scheduling.models import Appointment, AppointmentResource
from tests.conftest_db import TEST_NOW, Personas, SmallClinic

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
"""Tuesday 3 March 2026, 10:00 GMT: a slot every clinician in the small clinic offers."""


def patient(clinic_people: SmallClinic, which: str = "a") -> Actor:
    user = clinic_people.patient_a if which == "a" else clinic_people.patient_b
    return Actor(user_id=user.id, role="patient", client_ip="192.0.2.1")


def booking_body(clinic_people: SmallClinic, starts_at: datetime = TUESDAY_10) -> dict[str, object]:
    return {
        "clinician_id": clinic_people.neurologist.id,
        "appointment_type_id": clinic_people.consultation.id,
        "starts_at": starts_at.isoformat(),
    }


def count_appointments(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Appointment)) or 0


def test_a_patient_books_a_free_slot_and_a_confirmation_and_reminder_are_queued(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = booking.book(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    session.commit()
    assert appointment.ends_at == TUESDAY_10 + timedelta(minutes=30)
    kinds = sorted(session.scalars(select(OutboxMessage.kind)).all())
    assert kinds == ["confirmation", "confirmation", "reminder", "reminder"]


def test_the_same_slot_cannot_be_booked_twice(session: Session, small_clinic: SmallClinic) -> None:
    arguments = dict(
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    booking.book(session=session, actor=patient(small_clinic), **arguments)  # type: ignore[arg-type]
    session.commit()
    with pytest.raises(Conflict):
        booking.book(session=session, actor=patient(small_clinic, "b"), **arguments)  # type: ignore[arg-type]
    session.rollback()
    assert count_appointments(session) == 1


def test_a_time_off_the_slot_grid_is_invalid_input_naming_starts_at(
    session: Session, small_clinic: SmallClinic
) -> None:
    with pytest.raises(InvalidInput) as error:
        booking.book(
            session=session,
            actor=patient(small_clinic),
            clinician_id=small_clinic.neurologist.id,
            appointment_type_id=small_clinic.consultation.id,
            starts_at=TUESDAY_10 + timedelta(minutes=7),
            now=TEST_NOW,
        )
    assert error.value.field == "starts_at"


def test_an_emg_study_reserves_the_emg_room_and_machine_so_a_second_clinician_cannot_use_them(
    session: Session, small_clinic: SmallClinic
) -> None:
    booking.book(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.emg.id,
        starts_at=TUESDAY_10 - timedelta(hours=1),
        now=TEST_NOW,
    )
    session.commit()
    reserved = set(session.scalars(select(AppointmentResource.resource_id)))
    assert reserved == {small_clinic.room.id, small_clinic.machine.id}
    with pytest.raises(Conflict):
        booking.book(
            session=session,
            actor=patient(small_clinic, "b"),
            clinician_id=small_clinic.second_neurologist.id,
            appointment_type_id=small_clinic.emg.id,
            starts_at=TUESDAY_10 - timedelta(hours=1),
            now=TEST_NOW,
        )


def test_a_hold_keeps_the_slot_from_others_until_it_expires(
    session: Session, small_clinic: SmallClinic
) -> None:
    booking.place_hold(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    session.commit()
    arguments = dict(
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
    )
    with pytest.raises(Conflict):
        booking.book(session=session, actor=patient(small_clinic, "b"), now=TEST_NOW, **arguments)  # type: ignore[arg-type]
    session.rollback()
    later = TEST_NOW + timedelta(minutes=11)
    taken = booking.book(session=session, actor=patient(small_clinic, "b"), now=later, **arguments)  # type: ignore[arg-type]
    assert taken.patient_id == small_clinic.patient_b.id


def test_the_holder_books_their_own_held_slot(session: Session, small_clinic: SmallClinic) -> None:
    booking.place_hold(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    appointment = booking.book(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW + timedelta(minutes=5),
    )
    session.commit()
    assert appointment.status == "booked"


@pytest.mark.parametrize(
    ("local_day", "expected_utc_hour"),
    [(date(2026, 3, 29), 8), (date(2026, 10, 25), 9)],
    ids=["spring-forward-sunday", "fall-back-sunday"],
)
def test_a_9am_slot_on_a_london_changeover_day_is_stored_at_the_right_utc_instant(
    session: Session, small_clinic: SmallClinic, local_day: date, expected_utc_hour: int
) -> None:
    clinic.add_exception(
        session=session,
        clinician_id=small_clinic.neurologist.id,
        kind=ExceptionKind.EXTRA_SESSION,
        first_day=local_day,
        last_day=local_day,
        starts=time(9),
        ends=time(12),
    )
    now = datetime.combine(local_day - timedelta(days=5), time(12), tzinfo=UTC)
    appointment = booking.book(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=datetime.combine(local_day, time(expected_utc_hour), tzinfo=UTC),
        now=now,
    )
    session.commit()
    session.expire_all()
    stored = session.get(Appointment, appointment.id)
    assert stored is not None
    assert stored.starts_at == datetime.combine(local_day, time(expected_utc_hour), tzinfo=UTC)


def test_the_api_books_once_and_answers_409_for_the_taken_slot(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    first = client.post(
        "/api/v1/appointments",
        json=booking_body(small_clinic),
        headers=personas.headers["patient_a"],
    )
    second = client.post(
        "/api/v1/appointments",
        json=booking_body(small_clinic),
        headers=personas.headers["patient_b"],
    )
    assert first.status_code == 201, first.text
    assert first.json()["local_start"].startswith("2026-03-03T10:00:00")
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"


def test_a_retried_booking_with_the_same_idempotency_key_books_once_with_the_same_answer(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, session: Session
) -> None:
    headers = {**personas.headers["patient_a"], "Idempotency-Key": "booking-7f3a"}
    first = client.post("/api/v1/appointments", json=booking_body(small_clinic), headers=headers)
    retry = client.post("/api/v1/appointments", json=booking_body(small_clinic), headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert count_appointments(session) == 1


def test_an_idempotency_key_reused_for_a_different_request_is_refused(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    headers = {**personas.headers["patient_a"], "Idempotency-Key": "booking-7f3a"}
    client.post("/api/v1/appointments", json=booking_body(small_clinic), headers=headers)
    other = booking_body(small_clinic, TUESDAY_10 + timedelta(hours=1))
    answer = client.post("/api/v1/appointments", json=other, headers=headers)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "Idempotency-Key"


def test_a_naive_start_time_is_refused_naming_the_field(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    body = {**booking_body(small_clinic), "starts_at": "2026-03-03T10:00:00"}
    answer = client.post("/api/v1/appointments", json=body, headers=personas.headers["patient_a"])
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "starts_at"


def test_slot_search_lists_free_slots_and_leaves_out_a_booked_one(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    query = {
        "clinician_id": small_clinic.neurologist.id,
        "appointment_type_id": small_clinic.consultation.id,
        "from_date": "2026-03-03",
        "to_date": "2026-03-03",
        "limit": 200,
    }
    before = client.get("/api/v1/slots", params=query).json()["items"]
    client.post(
        "/api/v1/appointments",
        json=booking_body(small_clinic),
        headers=personas.headers["patient_a"],
    )
    after = client.get("/api/v1/slots", params=query).json()["items"]
    assert len(before) == 14  # 09:00–12:30 and 13:30–17:00 in 30-minute steps
    starts = {item["starts_at"] for item in after}
    assert len(after) == 13 and "2026-03-03T10:00:00Z" not in starts


def test_earliest_available_is_the_first_slot_after_the_minimum_notice(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = client.get(
        "/api/v1/slots/earliest",
        params={"specialty": "pain_medicine", "appointment_type_id": small_clinic.consultation.id},
    )
    assert answer.status_code == 200
    assert answer.json()["starts_at"] == "2026-03-02T09:00:00Z"
