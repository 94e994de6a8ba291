"""Online booking pauses for a patient who has missed more appointments than the clinic allows
(`NoShowPolicy`): their own booking is refused and writes nothing, while a patient at the
allowance still books, and the front desk can still book for the paused patient."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.models import User
from plexcare.clinic.models import Clinician
from plexcare.notifications.models import OutboxMessage
from plexcare.scheduling import changes
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.policy import AppointmentStatus
from tests.conftest_db import Personas, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10, booking_body

ALLOWED = booking.NO_SHOW_POLICY.strikes_allowed
"""Missed appointments a patient may have within the look-back and still book online."""


def miss_appointments(
    session: Session, clinic_people: SmallClinic, who: User, clinician: Clinician, count: int
) -> None:
    """`count` consultations on the Tuesdays before TUESDAY_10, booked by the front desk and
    marked as no-shows half an hour after each began (committed)."""
    desk = Actor(user_id=clinic_people.front_desk.id, role="front_desk")
    for weeks_before in range(1, count + 1):
        starts_at = TUESDAY_10 - timedelta(weeks=weeks_before)
        missed = booking.book(
            session=session,
            actor=desk,
            clinician_id=clinician.id,
            appointment_type_id=clinic_people.consultation.id,
            starts_at=starts_at,
            now=starts_at - timedelta(days=1),
            patient_id=who.id,
        )
        changes.mark_attendance(
            session=session,
            actor=desk,
            appointment_id=missed.id,
            outcome=AppointmentStatus.NO_SHOW,
            now=starts_at + timedelta(minutes=30),
        )
    session.commit()


def appointments_of(session: Session, who: User) -> list[tuple[str, bool]]:
    """The patient's appointments as (status, counts as a strike), earliest first."""
    rows = session.execute(
        select(Appointment.status, Appointment.strike)
        .where(Appointment.patient_id == who.id)
        .order_by(Appointment.starts_at)
    ).all()
    session.commit()
    return [(row[0], row[1]) for row in rows]


def confirmations_to(session: Session, who: User) -> int:
    sent = session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.recipient_user_id == who.id, OutboxMessage.kind == "confirmation"
        )
    ).all()
    session.commit()
    return len(sent)


def test_a_patient_with_more_missed_appointments_than_allowed_cannot_book_online(
    client: TestClient, personas: Personas, session: Session, small_clinic: SmallClinic
) -> None:
    ann = small_clinic.patient_a
    miss_appointments(session, small_clinic, ann, small_clinic.neurologist, ALLOWED + 1)
    missed = appointments_of(session, ann)
    assert missed == [("no_show", True)] * (ALLOWED + 1)
    confirmations = confirmations_to(session, ann)

    answer = client.post(
        "/api/v1/appointments",
        json=booking_body(small_clinic, TUESDAY_10 + timedelta(days=1)),
        headers=personas.headers["patient_a"],
    )
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "paused" in answer.json()["detail"]
    assert appointments_of(session, ann) == missed
    assert confirmations_to(session, ann) == confirmations


def test_a_patient_with_only_the_allowed_missed_appointments_still_books_online(
    client: TestClient, personas: Personas, session: Session, small_clinic: SmallClinic
) -> None:
    bob = small_clinic.patient_b
    miss_appointments(session, small_clinic, bob, small_clinic.second_neurologist, ALLOWED)

    answer = client.post(
        "/api/v1/appointments",
        json=booking_body(small_clinic, TUESDAY_10 + timedelta(days=1)),
        headers=personas.headers["patient_b"],
    )
    assert answer.status_code == 201, answer.text
    assert appointments_of(session, bob) == [("no_show", True)] * ALLOWED + [("booked", False)]


def test_the_front_desk_still_books_for_a_paused_patient(
    client: TestClient, personas: Personas, session: Session, small_clinic: SmallClinic
) -> None:
    ann = small_clinic.patient_a
    miss_appointments(session, small_clinic, ann, small_clinic.neurologist, ALLOWED + 1)

    answer = client.post(
        "/api/v1/appointments",
        json={**booking_body(small_clinic, TUESDAY_10 + timedelta(days=1)), "patient_id": ann.id},
        headers=personas.headers["front_desk"],
    )
    assert answer.status_code == 201, answer.text
    assert appointments_of(session, ann)[-1] == ("booked", False)
