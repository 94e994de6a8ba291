"""The database itself refuses a double booking, even when the Python check is bypassed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.scheduling.models import Appointment
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10


def raw_appointment(
    clinic_people: SmallClinic, patient_id: int, offset_minutes: int
) -> Appointment:
    start = TUESDAY_10 + timedelta(minutes=offset_minutes)
    return Appointment(
        uid=f"raw-{patient_id}-{offset_minutes}",
        patient_id=patient_id,
        clinician_id=clinic_people.neurologist.id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        status="booked",
        sequence=0,
        created_at=TEST_NOW,
        updated_at=TEST_NOW,
        strike=False,
    )


def test_two_active_appointments_at_one_start_are_refused_by_the_database(
    session: Session, small_clinic: SmallClinic
) -> None:
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 0))
    session.commit()
    session.add(raw_appointment(small_clinic, small_clinic.patient_b.id, 0))
    with pytest.raises(IntegrityError):
        session.commit()


def test_a_cancelled_appointment_does_not_block_its_slot(
    session: Session, small_clinic: SmallClinic
) -> None:
    first = raw_appointment(small_clinic, small_clinic.patient_a.id, 0)
    first.status = "cancelled"
    session.add(first)
    session.commit()
    session.add(raw_appointment(small_clinic, small_clinic.patient_b.id, 0))
    session.commit()
    stored = session.scalars(
        select(Appointment.status).where(Appointment.starts_at == TUESDAY_10)
    ).all()
    assert sorted(stored) == ["booked", "cancelled"]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_overlapping_appointments_with_different_starts_are_refused_on_postgresql(
    session: Session, small_clinic: SmallClinic
) -> None:
    """SQLite has no exclusion constraint; there the serialized overlap check guards it."""
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 0))
    session.commit()
    session.add(raw_appointment(small_clinic, small_clinic.patient_b.id, 15))
    with pytest.raises(IntegrityError):
        session.commit()
