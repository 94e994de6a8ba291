"""The database itself refuses a double booking, even when the Python check is bypassed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.scheduling.models import Appointment, ClinicianReservation, SlotHold
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10


def raw_reservation(
    session: Session, clinic_people: SmallClinic, offset_minutes: int, clinician_id: int = 0
) -> ClinicianReservation:
    start = TUESDAY_10 + timedelta(minutes=offset_minutes)
    reservation = ClinicianReservation(
        clinician_id=clinician_id or clinic_people.neurologist.id,
        starts_at=start,
        blocked_until=start + timedelta(minutes=30),
    )
    session.add(reservation)
    session.flush()
    return reservation


def raw_appointment(
    clinic_people: SmallClinic,
    patient_id: int,
    offset_minutes: int,
    reservation: ClinicianReservation | None = None,
) -> Appointment:
    start = TUESDAY_10 + timedelta(minutes=offset_minutes)
    return Appointment(
        uid=f"raw-{patient_id}-{offset_minutes}",
        patient_id=patient_id,
        clinician_id=(reservation.clinician_id if reservation else clinic_people.neurologist.id),
        appointment_type_id=clinic_people.consultation.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        blocked_until=start + timedelta(minutes=30),
        status="booked",
        sequence=0,
        created_at=TEST_NOW,
        updated_at=TEST_NOW,
        strike=False,
        reservation_id=reservation.id if reservation else None,
    )


def raw_hold(clinic_people: SmallClinic, reservation: ClinicianReservation) -> SlotHold:
    return SlotHold(
        reservation_id=reservation.id,
        patient_id=clinic_people.patient_b.id,
        clinician_id=reservation.clinician_id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=reservation.starts_at,
        blocked_until=reservation.blocked_until,
        expires_at=TEST_NOW + timedelta(minutes=10),
    )


def test_an_active_appointment_that_reserves_no_clinician_time_is_refused(
    session: Session, small_clinic: SmallClinic
) -> None:
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 0))
    with pytest.raises(IntegrityError, match="reserved_while_active"):
        session.commit()


def test_two_reservations_of_one_start_are_refused_whoever_owns_them(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment_time = raw_reservation(session, small_clinic, 0)
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 0, appointment_time))
    session.commit()
    with pytest.raises(IntegrityError):
        raw_reservation(session, small_clinic, 0)


def test_a_reservation_an_appointment_holds_cannot_be_deleted(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment_time = raw_reservation(session, small_clinic, 0)
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 0, appointment_time))
    session.commit()
    session.delete(appointment_time)
    with pytest.raises(IntegrityError):
        session.commit()


def test_a_hold_goes_with_its_reservation(session: Session, small_clinic: SmallClinic) -> None:
    held_time = raw_reservation(session, small_clinic, 0)
    session.add(raw_hold(small_clinic, held_time))
    session.commit()
    session.delete(held_time)
    session.commit()
    assert session.scalars(select(SlotHold)).all() == []


def test_a_cancelled_appointment_does_not_block_its_slot(
    session: Session, small_clinic: SmallClinic
) -> None:
    first = raw_appointment(small_clinic, small_clinic.patient_a.id, 0)
    first.status = "cancelled"
    session.add(first)
    session.commit()
    appointment_time = raw_reservation(session, small_clinic, 0)
    session.add(raw_appointment(small_clinic, small_clinic.patient_b.id, 0, appointment_time))
    session.commit()
    stored = session.scalars(
        select(Appointment.status).where(Appointment.starts_at == TUESDAY_10)
    ).all()
    assert sorted(stored) == ["booked", "cancelled"]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_hold_overlapping_an_appointment_with_another_start_is_refused_on_postgresql(
    session: Session, small_clinic: SmallClinic
) -> None:
    """SQLite has no exclusion constraint; there the serialized overlap check guards it."""
    appointment_time = raw_reservation(session, small_clinic, 0)
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 0, appointment_time))
    session.commit()
    with pytest.raises(IntegrityError, match="ex_clinician_reservations_overlap"):
        raw_reservation(session, small_clinic, 15)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_one_patient_in_two_places_at_once_is_refused_on_postgresql(
    session: Session, small_clinic: SmallClinic
) -> None:
    """SQLite relies on the guarded insert of the booking service, serialized."""
    with_okafor = raw_reservation(session, small_clinic, 0)
    with_lind = raw_reservation(session, small_clinic, 15, small_clinic.second_neurologist.id)
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 0, with_okafor))
    session.commit()
    session.add(raw_appointment(small_clinic, small_clinic.patient_a.id, 15, with_lind))
    with pytest.raises(IntegrityError, match="ex_appointments_patient_overlap"):
        session.commit()
