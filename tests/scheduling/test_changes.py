"""Cancel, reschedule, completed and no-show, and the waitlist offer of a freed slot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.errors import Conflict
from plexcare.notifications.models import OutboxMessage
from plexcare.scheduling import changes, policy, waitlist
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import Appointment, SlotHold, WaitlistEntry
from plexcare.scheduling.waitlist_order import Urgency
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10, patient


def desk(clinic_people: SmallClinic) -> Actor:
    return Actor(user_id=clinic_people.front_desk.id, role="front_desk")


def book_tuesday(session: Session, clinic_people: SmallClinic) -> Appointment:
    appointment = booking.book(
        session=session,
        actor=patient(clinic_people),
        clinician_id=clinic_people.neurologist.id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    session.commit()
    return appointment


def test_a_reschedule_frees_the_old_slot_and_keeps_the_calendar_uid_with_a_higher_sequence(
    session: Session, small_clinic: SmallClinic
) -> None:
    old = book_tuesday(session, small_clinic)
    new = changes.reschedule(
        session=session,
        actor=patient(small_clinic),
        appointment_id=old.id,
        starts_at=TUESDAY_10 + timedelta(hours=1),
        now=TEST_NOW,
    )
    session.commit()
    assert old.status == "rescheduled" and old.rescheduled_to_id == new.id
    assert new.uid == old.uid and new.sequence == old.sequence + 1
    again = booking.book(
        session=session,
        actor=patient(small_clinic, "b"),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    assert again.starts_at == TUESDAY_10


def test_a_reschedule_onto_a_taken_slot_changes_nothing(
    session: Session, small_clinic: SmallClinic
) -> None:
    old = book_tuesday(session, small_clinic)
    booking.book(
        session=session,
        actor=patient(small_clinic, "b"),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10 + timedelta(hours=1),
        now=TEST_NOW,
    )
    session.commit()
    with pytest.raises(Conflict):
        changes.reschedule(
            session=session,
            actor=patient(small_clinic),
            appointment_id=old.id,
            starts_at=TUESDAY_10 + timedelta(hours=1),
            now=TEST_NOW,
        )
    session.rollback()
    session.expire_all()
    assert session.get(Appointment, old.id).status == "booked"  # type: ignore[union-attr]


def test_a_late_cancellation_by_the_patient_counts_as_a_strike_and_withdraws_the_reminder(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = book_tuesday(session, small_clinic)
    late = TUESDAY_10 - timedelta(hours=3)
    changes.cancel(
        session=session,
        actor=patient(small_clinic),
        appointment_id=appointment.id,
        now=late,
        reason=None,
    )
    session.commit()
    assert appointment.status == "cancelled" and appointment.strike
    statuses = dict(session.execute(select(OutboxMessage.kind, OutboxMessage.status)).all())
    assert statuses["reminder"] == "withdrawn"


def test_patient_b_cannot_cancel_patient_as_appointment(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = book_tuesday(session, small_clinic)
    with pytest.raises(Exception, match="no such record"):
        changes.cancel(
            session=session,
            actor=patient(small_clinic, "b"),
            appointment_id=appointment.id,
            now=TEST_NOW,
            reason=None,
        )


def test_staff_mark_no_show_only_once_the_appointment_has_started(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = book_tuesday(session, small_clinic)
    with pytest.raises(Conflict):
        changes.mark_attendance(
            session=session,
            actor=desk(small_clinic),
            appointment_id=appointment.id,
            outcome=policy.AppointmentStatus.NO_SHOW,
            now=TEST_NOW,
        )
    changes.mark_attendance(
        session=session,
        actor=desk(small_clinic),
        appointment_id=appointment.id,
        outcome=policy.AppointmentStatus.NO_SHOW,
        now=TUESDAY_10 + timedelta(minutes=20),
    )
    session.commit()
    assert appointment.status == "no_show" and appointment.strike


def test_a_cancelled_slot_is_offered_to_the_most_urgent_waiting_patient_as_a_hold(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = book_tuesday(session, small_clinic)
    routine = waitlist.join(
        session=session,
        actor=desk(small_clinic),
        patient_id=small_clinic.patient_a.id,
        specialty="neurology",
        appointment_type_id=small_clinic.consultation.id,
        urgency=Urgency.ROUTINE,
        now=TEST_NOW - timedelta(days=30),
    )
    urgent = waitlist.join(
        session=session,
        actor=patient(small_clinic, "b"),
        specialty="neurology",
        appointment_type_id=small_clinic.consultation.id,
        urgency=Urgency.URGENT,
        now=TEST_NOW,
    )
    session.commit()
    changes.cancel(
        session=session,
        actor=desk(small_clinic),
        appointment_id=appointment.id,
        now=TEST_NOW,
        reason="clinician unwell",
    )
    session.commit()
    hold = session.scalars(select(SlotHold)).one()
    assert hold.patient_id == small_clinic.patient_b.id and hold.waitlist_entry_id == urgent.id
    assert urgent.status == "offered" and routine.status == "waiting"
    taken = booking.book(
        session=session,
        actor=patient(small_clinic, "b"),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW + timedelta(minutes=30),
    )
    session.commit()
    assert taken.patient_id == small_clinic.patient_b.id
    assert session.get(WaitlistEntry, urgent.id).status == "booked"  # type: ignore[union-attr]


def test_a_lapsed_waitlist_offer_passes_to_the_next_patient(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = booking.book(
        session=session,
        actor=desk(small_clinic),
        patient_id=small_clinic.patient_a.id,
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10 + timedelta(days=7),
        now=TEST_NOW,
    )
    first = waitlist.join(
        session=session,
        actor=patient(small_clinic, "b"),
        specialty="neurology",
        appointment_type_id=small_clinic.consultation.id,
        urgency=Urgency.URGENT,
        now=TEST_NOW,
    )
    second_patient = Actor(user_id=small_clinic.front_desk.id, role="front_desk")
    second = waitlist.join(
        session=session,
        actor=second_patient,
        patient_id=small_clinic.patient_a.id,
        specialty="neurology",
        appointment_type_id=small_clinic.consultation.id,
        urgency=Urgency.ROUTINE,
        now=TEST_NOW,
    )
    changes.cancel(
        session=session,
        actor=desk(small_clinic),
        appointment_id=appointment.id,
        now=TEST_NOW,
        reason=None,
    )
    session.commit()
    assert first.status == "offered"
    waitlist.expire_offers(session=session, now=TEST_NOW + timedelta(hours=3))
    session.commit()
    hold = session.scalars(select(SlotHold)).one()
    assert first.status == "waiting"
    assert hold.waitlist_entry_id == second.id and second.status == "offered"
