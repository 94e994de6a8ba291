"""One patient is in one place at a time: the database refuses a second active appointment
overlapping the first, on PostgreSQL (an exclusion constraint) and on SQLite (triggers of the
same name), whatever writes it; and bookings racing each other for overlapping times of one
patient end with one appointment.

Without the rule a patient held three consultations on one day, one overlapping their EMG.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.errors import Conflict
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.reservations import PATIENT_BUSY
from tests.conftest_db import TEST_NOW, Personas, SmallClinic
from tests.scheduling.crowd import Call, all_at_once, statuses
from tests.scheduling.test_booking import TUESDAY_10
from tests.scheduling.test_database_constraints import raw_appointment, raw_reservation

TUESDAY_9 = TUESDAY_10 - timedelta(hours=1)
"""Ann's EMG study with Dr Okafor, 09:00 to 10:00 GMT on Tuesday 3 March 2026."""
TUESDAY_9_30 = TUESDAY_9 + timedelta(minutes=30)
"""Half-way through the study: a consultation then would put Ann in two rooms at once."""


def active_of_patient_a(session: Session, clinic_people: SmallClinic) -> list[Appointment]:
    session.expire_all()
    return list(
        session.scalars(
            select(Appointment).where(
                Appointment.patient_id == clinic_people.patient_a.id,
                Appointment.status.in_(("booked", "completed", "no_show")),
            )
        )
    )


def overlapping_pairs(appointments: list[Appointment]) -> list[tuple[int, int]]:
    return [
        (first.id, second.id)
        for first, second in combinations(appointments, 2)
        if first.starts_at < second.ends_at and second.starts_at < first.ends_at
    ]


def test_one_patient_in_two_places_written_straight_to_the_database_is_refused(
    session: Session, small_clinic: SmallClinic
) -> None:
    """No booking service involved: on SQLite the trigger refuses it, on PostgreSQL the
    exclusion constraint, and both name `ex_appointments_patient_overlap`."""
    with_okafor = raw_reservation(session, small_clinic, 0)
    with_lind = raw_reservation(session, small_clinic, 15, small_clinic.second_neurologist.id)
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 0, with_okafor))
    session.commit()
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 15, with_lind))
    with pytest.raises(IntegrityError, match="ex_appointments_patient_overlap"):
        session.commit()
    session.rollback()
    assert len(active_of_patient_a(session, small_clinic)) == 1


def test_back_to_back_appointments_of_one_patient_are_accepted(
    session: Session, small_clinic: SmallClinic
) -> None:
    """The rule is half-open: ending at 10:30 and starting at 10:30 is not an overlap."""
    first = raw_reservation(session, small_clinic, 0)
    second = raw_reservation(session, small_clinic, 30, small_clinic.second_neurologist.id)
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 0, first))
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 30, second))
    session.commit()
    assert len(active_of_patient_a(session, small_clinic)) == 2


def test_bringing_back_a_cancelled_appointment_over_another_is_refused(
    session: Session, small_clinic: SmallClinic
) -> None:
    """An update that makes an old row active again is checked like an insert."""
    kept = raw_reservation(session, small_clinic, 0)
    spare = raw_reservation(session, small_clinic, 15, small_clinic.second_neurologist.id)
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 0, kept))
    cancelled = raw_appointment(small_clinic, small_clinic.patient_a.id, 15)
    cancelled.status = "cancelled"
    cancelled.clinician_id = small_clinic.second_neurologist.id
    session.add(cancelled)
    session.commit()
    cancelled.status = "booked"
    cancelled.reservation_id = spare.id
    with pytest.raises(IntegrityError, match="ex_appointments_patient_overlap"):
        session.commit()
    session.rollback()


def test_the_front_desk_cannot_book_a_patient_into_a_consultation_during_their_emg(
    session: Session, small_clinic: SmallClinic
) -> None:
    desk = booking.Actor(user_id=small_clinic.front_desk.id, role="front_desk")
    booking.book(
        session=session,
        actor=desk,
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.emg.id,
        starts_at=TUESDAY_9,
        now=TEST_NOW,
        patient_id=small_clinic.patient_a.id,
    )
    session.commit()
    with pytest.raises(Conflict, match=PATIENT_BUSY):
        booking.book(
            session=session,
            actor=desk,
            clinician_id=small_clinic.second_neurologist.id,
            appointment_type_id=small_clinic.consultation.id,
            starts_at=TUESDAY_9_30,
            now=TEST_NOW,
            patient_id=small_clinic.patient_a.id,
        )
    session.rollback()
    assert len(active_of_patient_a(session, small_clinic)) == 1


def test_thirty_desk_bookings_of_overlapping_times_for_one_patient_sent_at_once_make_one(
    server: str, session: Session, small_clinic: SmallClinic, personas: Personas
) -> None:
    """An EMG at 09:00 and consultations at 09:30 with two other clinicians all overlap each
    other: whichever arrives first is booked, every other answer is a 409, and the patient
    never holds two of them."""
    patient_id = small_clinic.patient_a.id
    offers = [
        {
            "clinician_id": small_clinic.neurologist.id,
            "appointment_type_id": small_clinic.emg.id,
            "starts_at": TUESDAY_9.isoformat(),
            "patient_id": patient_id,
        },
        {
            "clinician_id": small_clinic.second_neurologist.id,
            "appointment_type_id": small_clinic.consultation.id,
            "starts_at": TUESDAY_9_30.isoformat(),
            "patient_id": patient_id,
        },
        {
            "clinician_id": small_clinic.pain.id,
            "appointment_type_id": small_clinic.consultation.id,
            "starts_at": TUESDAY_9_30.isoformat(),
            "patient_id": patient_id,
        },
    ]
    headers = personas.headers["front_desk"]
    answers = all_at_once(
        server,
        [Call("/api/v1/appointments", headers, offers[number % 3]) for number in range(30)],
    )

    assert statuses(answers) == [201] + [409] * 29
    assert all(answer.is_problem for answer in answers if answer.status == 409)
    booked = active_of_patient_a(session, small_clinic)
    assert len(booked) == 1
    assert overlapping_pairs(booked) == []
