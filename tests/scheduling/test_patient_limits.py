"""One patient's own limits, decided by the database in the booking's statement: never in two
appointments at once, and at most `BookingLimits.open_appointments` upcoming appointments booked
online. Without them one patient booked 150 slots in a second and held three overlapping
appointments."""

from __future__ import annotations

from datetime import datetime
from itertools import combinations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.errors import Conflict
from plexcare.scheduling import changes, policy
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import Appointment
from tests.conftest_db import TEST_NOW, Personas, SmallClinic
from tests.scheduling.crowd import CROWD, Call, all_at_once, free_consultation_starts, statuses
from tests.scheduling.test_booking import TUESDAY_10, patient

LIMIT = policy.BookingLimits().open_appointments


def clinicians(clinic_people: SmallClinic) -> list[int]:
    return [
        clinic_people.neurologist.id,
        clinic_people.second_neurologist.id,
        clinic_people.pain.id,
    ]


def consultation(
    clinic_people: SmallClinic, clinician_id: int, starts_at: datetime
) -> dict[str, object]:
    return {
        "clinician_id": clinician_id,
        "appointment_type_id": clinic_people.consultation.id,
        "starts_at": starts_at.isoformat(),
    }


def booked_of_patient_a(session: Session, clinic_people: SmallClinic) -> list[Appointment]:
    session.expire_all()
    return list(
        session.scalars(
            select(Appointment).where(
                Appointment.patient_id == clinic_people.patient_a.id,
                Appointment.status == "booked",
            )
        )
    )


def overlapping_pairs(appointments: list[Appointment]) -> list[tuple[int, int]]:
    return [
        (first.id, second.id)
        for first, second in combinations(appointments, 2)
        if first.starts_at < second.ends_at and second.starts_at < first.ends_at
    ]


def test_one_patient_firing_fifty_bookings_at_once_gets_the_limit_and_no_overlap(
    server: str, session: Session, small_clinic: SmallClinic, personas: Personas
) -> None:
    """Seventeen half-hours, each with three clinicians: room for seventeen appointments that
    do not overlap, of which the limit are booked."""
    headers = personas.headers["patient_a"]
    offers = [
        consultation(small_clinic, clinician, start)
        for start in free_consultation_starts(17)
        for clinician in clinicians(small_clinic)
    ][:CROWD]
    answers = all_at_once(server, [Call("/api/v1/appointments", headers, body) for body in offers])

    assert statuses(answers) == [201] * LIMIT + [409] * (CROWD - LIMIT)
    assert all(answer.is_problem for answer in answers if answer.status == 409)
    booked = booked_of_patient_a(session, small_clinic)
    assert len(booked) == LIMIT
    assert overlapping_pairs(booked) == []


def test_one_patient_firing_fifty_bookings_of_one_time_with_three_clinicians_gets_one(
    server: str, session: Session, small_clinic: SmallClinic, personas: Personas
) -> None:
    headers = personas.headers["patient_a"]
    answers = all_at_once(
        server,
        [
            Call(
                "/api/v1/appointments",
                headers,
                consultation(small_clinic, clinicians(small_clinic)[number % 3], TUESDAY_10),
            )
            for number in range(CROWD)
        ],
    )

    assert statuses(answers) == [201] + [409] * (CROWD - 1)
    assert len(booked_of_patient_a(session, small_clinic)) == 1


def book_for(
    session: Session,
    clinic_people: SmallClinic,
    actor: Actor,
    starts_at: datetime,
    clinician: int = 0,
) -> Appointment:
    return booking.book(
        session=session,
        actor=actor,
        clinician_id=clinician or clinic_people.neurologist.id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=starts_at,
        now=TEST_NOW,
        patient_id=None if actor.is_patient else clinic_people.patient_a.id,
    )


def test_a_patient_cannot_book_a_second_appointment_at_the_same_time(
    session: Session, small_clinic: SmallClinic
) -> None:
    book_for(session, small_clinic, patient(small_clinic), TUESDAY_10)
    session.commit()
    with pytest.raises(Conflict, match="already have an appointment at this time") as refused:
        book_for(
            session,
            small_clinic,
            patient(small_clinic),
            TUESDAY_10,
            small_clinic.pain.id,
        )
    assert refused.value.field == "starts_at"


def test_the_limit_counts_upcoming_booked_appointments_and_names_itself(
    session: Session, small_clinic: SmallClinic
) -> None:
    starts = free_consultation_starts(LIMIT + 1)
    for start in starts[:LIMIT]:
        book_for(session, small_clinic, patient(small_clinic), start)
    session.commit()
    with pytest.raises(Conflict, match=f"already have {LIMIT} upcoming appointments"):
        book_for(session, small_clinic, patient(small_clinic), starts[LIMIT])
    session.rollback()
    changes.cancel(
        session=session,
        actor=patient(small_clinic),
        appointment_id=booked_of_patient_a(session, small_clinic)[0].id,
        now=TEST_NOW,
        reason=None,
    )
    book_for(session, small_clinic, patient(small_clinic), starts[LIMIT])
    session.commit()
    assert len(booked_of_patient_a(session, small_clinic)) == LIMIT


def test_a_patient_at_the_limit_can_still_move_an_appointment(
    session: Session, small_clinic: SmallClinic
) -> None:
    starts = free_consultation_starts(LIMIT + 1)
    first = book_for(session, small_clinic, patient(small_clinic), starts[0])
    for start in starts[1:LIMIT]:
        book_for(session, small_clinic, patient(small_clinic), start)
    session.commit()
    moved = changes.reschedule(
        session=session,
        actor=patient(small_clinic),
        appointment_id=first.id,
        starts_at=starts[LIMIT],
        now=TEST_NOW,
    )
    session.commit()
    assert moved.starts_at == starts[LIMIT]


def test_the_front_desk_books_a_treatment_course_past_the_online_limit(
    session: Session, small_clinic: SmallClinic
) -> None:
    desk = Actor(user_id=small_clinic.front_desk.id, role="front_desk")
    for start in free_consultation_starts(LIMIT + 2):
        book_for(session, small_clinic, desk, start)
    session.commit()
    assert len(booked_of_patient_a(session, small_clinic)) == LIMIT + 2
