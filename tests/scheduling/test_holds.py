"""Holds around a booking: what a new hold replaces, and a booked hold disappearing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.scheduling import service as booking
from plexcare.scheduling.models import SlotHold
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10, patient


def hold_starts(session: Session) -> list[tuple[int, object]]:
    session.expire_all()
    return [
        (hold.patient_id, hold.starts_at)
        for hold in session.scalars(select(SlotHold).order_by(SlotHold.starts_at))
    ]


def hold(session: Session, clinic_people: SmallClinic, which: str, starts_at: object) -> SlotHold:
    return booking.place_hold(
        session=session,
        actor=patient(clinic_people, which),
        clinician_id=clinic_people.neurologist.id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=starts_at,  # type: ignore[arg-type]
        now=TEST_NOW,
    )


def test_booking_the_held_slot_turns_the_hold_into_the_appointment(
    session: Session, small_clinic: SmallClinic
) -> None:
    held = hold(session, small_clinic, "a", TUESDAY_10)
    session.commit()
    booking.book(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW + timedelta(minutes=2),
    )
    session.commit()
    assert hold_starts(session) == []
    assert held not in session


def test_a_new_hold_replaces_the_patients_previous_one_and_leaves_other_patients_holds(
    session: Session, small_clinic: SmallClinic
) -> None:
    hold(session, small_clinic, "a", TUESDAY_10)
    hold(session, small_clinic, "b", TUESDAY_10 + timedelta(hours=1))
    session.commit()
    hold(session, small_clinic, "a", TUESDAY_10 + timedelta(hours=2))
    session.commit()
    assert hold_starts(session) == [
        (small_clinic.patient_b.id, TUESDAY_10 + timedelta(hours=1)),
        (small_clinic.patient_a.id, TUESDAY_10 + timedelta(hours=2)),
    ]


def test_a_lapsed_hold_is_cleared_when_someone_holds_that_clinicians_slot(
    session: Session, small_clinic: SmallClinic
) -> None:
    hold(session, small_clinic, "b", TUESDAY_10)
    session.commit()
    booking.place_hold(
        session=session,
        actor=patient(small_clinic, "a"),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW + timedelta(hours=1),
    )
    session.commit()
    assert hold_starts(session) == [(small_clinic.patient_a.id, TUESDAY_10)]
