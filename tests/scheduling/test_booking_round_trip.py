"""A booking's appointment, reserved time, audit entry and messages are written together: all of
them when it is booked, none when it is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.errors import Conflict
from plexcare.notifications.models import OutboxMessage
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import Appointment, ClinicianReservation
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10, patient


def _book(session: Session, clinic_people: SmallClinic, clinician_id: int) -> Appointment:
    return booking.book(
        session=session,
        actor=patient(clinic_people),
        clinician_id=clinician_id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )


def _count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_booking_writes_its_reserved_time_audit_entry_and_messages_with_it(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = _book(session, small_clinic, small_clinic.neurologist.id)
    session.commit()
    session.expire_all()
    stored = session.get(Appointment, appointment.id)
    assert stored is not None and stored.reservation_id is not None
    reservation = session.get(ClinicianReservation, stored.reservation_id)
    assert reservation is not None and reservation.starts_at == TUESDAY_10
    (entry,) = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "appointment")
    ).all()
    assert (entry.action, entry.subject_id, entry.patient_user_id, entry.client_ip) == (
        "create",
        str(appointment.id),
        small_clinic.patient_a.id,
        "192.0.2.1",
    )
    messages = session.scalars(select(OutboxMessage)).all()
    assert sorted((message.kind, message.channel) for message in messages) == [
        ("confirmation", "email"),
        ("confirmation", "sms"),
        ("reminder", "email"),
        ("reminder", "sms"),
    ]
    assert {(message.appointment_id, message.calendar_sequence) for message in messages} == {
        (appointment.id, 0)
    }


def test_a_refused_booking_leaves_no_reserved_time_audit_entry_or_message(
    session: Session, small_clinic: SmallClinic
) -> None:
    _book(session, small_clinic, small_clinic.neurologist.id)
    session.commit()
    before = [_count(session, table) for table in (ClinicianReservation, AuditEvent, OutboxMessage)]
    # The same patient at the same time with another clinician: their own time is taken.
    with pytest.raises(Conflict):
        _book(session, small_clinic, small_clinic.second_neurologist.id)
    session.rollback()
    after = [_count(session, table) for table in (ClinicianReservation, AuditEvent, OutboxMessage)]
    assert after == before
