"""Holds and bookings of one slot racing each other, on SQLite and PostgreSQL.

A hold and an appointment reserve the clinician's time in the same table, under one
no-overlap rule, so whichever reaches the database first has the slot. Under the old
separate rules a hold by one patient and a booking by another at the same instant both
succeeded (20 rounds of 20), and the holder then got 409 on the slot they held.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.scheduling.models import Appointment, ClinicianReservation, SlotHold
from tests.conftest_db import Personas, SmallClinic
from tests.scheduling.crowd import CROWD, Call, all_at_once, new_patients, statuses
from tests.scheduling.test_booking import TUESDAY_10, booking_body
from tests.scheduling.test_concurrent_changes import count


def test_holds_and_bookings_of_one_slot_by_different_patients_leave_exactly_one_winner(
    server: str, session: Session, small_clinic: SmallClinic
) -> None:
    crowd = new_patients(session, CROWD)
    body = booking_body(small_clinic)
    calls = [
        Call("/api/v1/holds" if number % 2 else "/api/v1/appointments", headers, body)
        for number, headers in enumerate(crowd)
    ]
    answers = all_at_once(server, calls)

    assert statuses(answers) == [201] + [409] * (CROWD - 1)
    assert all(answer.is_problem for answer in answers if answer.status == 409)
    [winner] = [answer for answer in answers if answer.status == 201]
    session.expire_all()
    assert count(session, SlotHold) + count(session, Appointment) == 1
    assert count(session, ClinicianReservation) == 1
    session.commit()  # ends the read: on SQLite the app needs the one connection
    if winner.call.path == "/api/v1/holds":
        booked = all_at_once(server, [Call("/api/v1/appointments", winner.call.headers, body)])
        assert statuses(booked) == [201]
        session.expire_all()
        assert count(session, SlotHold) == 0
        assert count(session, Appointment) == 1
        assert count(session, ClinicianReservation) == 1


def test_the_holder_books_the_held_slot_while_everyone_else_is_refused_it(
    server: str, session: Session, small_clinic: SmallClinic, personas: Personas
) -> None:
    holder = personas.headers["patient_a"]
    held = all_at_once(server, [Call("/api/v1/holds", holder, booking_body(small_clinic))])
    assert statuses(held) == [201]
    others = new_patients(session, CROWD - 1)
    calls = [
        Call("/api/v1/appointments", headers, booking_body(small_clinic)) for headers in others
    ]
    calls.insert(CROWD // 2, Call("/api/v1/appointments", holder, booking_body(small_clinic)))
    answers = all_at_once(server, calls)

    assert [answer.status for answer in answers if answer.call.headers is holder] == [201]
    assert statuses(answers) == [201] + [409] * (CROWD - 1)
    session.expire_all()
    [appointment] = session.scalars(select(Appointment)).all()
    assert appointment.patient_id == small_clinic.patient_a.id
    assert appointment.starts_at == TUESDAY_10
    assert count(session, SlotHold) == 0
    assert session.scalar(select(ClinicianReservation.id)) == appointment.reservation_id
