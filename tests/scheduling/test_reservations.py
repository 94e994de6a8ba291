"""The clinician time holds and appointments reserve: handed on without a gap, freed when
nobody needs it, and never kept by a hold that has lapsed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.scheduling import changes, waitlist
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import (
    Appointment,
    ClinicianReservation,
    SlotHold,
    WaitlistEntry,
)
from plexcare.scheduling.waitlist_order import Urgency
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10, patient
from tests.scheduling.test_changes import book_tuesday, desk


def count(session: Session, model: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def book(
    session: Session, clinic_people: SmallClinic, which: str, minutes_later: int
) -> Appointment:
    return booking.book(
        session=session,
        actor=patient(clinic_people, which),
        clinician_id=clinic_people.neurologist.id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW + timedelta(minutes=minutes_later),
    )


def hold(session: Session, clinic_people: SmallClinic, which: str) -> SlotHold:
    return booking.place_hold(
        session=session,
        actor=patient(clinic_people, which),
        clinician_id=clinic_people.neurologist.id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )


def join_waitlist(session: Session, clinic_people: SmallClinic) -> WaitlistEntry:
    return waitlist.join(
        session=session,
        actor=patient(clinic_people, "b"),
        specialty="neurology",
        appointment_type_id=clinic_people.consultation.id,
        urgency=Urgency.URGENT,
        now=TEST_NOW,
    )


def cancel_at_desk(session: Session, clinic_people: SmallClinic, appointment: Appointment) -> None:
    changes.cancel(
        session=session,
        actor=desk(clinic_people),
        appointment_id=appointment.id,
        now=TEST_NOW,
        reason=None,
    )
    session.commit()


def test_a_booked_hold_hands_its_reservation_to_the_appointment(
    session: Session, small_clinic: SmallClinic
) -> None:
    held = hold(session, small_clinic, "a")
    session.commit()
    reserved = held.reservation_id
    appointment = book(session, small_clinic, "a", 2)
    session.commit()
    assert appointment.reservation_id == reserved
    assert count(session, ClinicianReservation) == 1


def test_a_released_hold_frees_its_time(session: Session, small_clinic: SmallClinic) -> None:
    held = hold(session, small_clinic, "a")
    session.commit()
    booking.release_hold(
        session=session, actor=patient(small_clinic), hold_id=held.id, now=TEST_NOW
    )
    session.commit()
    assert count(session, ClinicianReservation) == 0
    assert book(session, small_clinic, "b", 1).patient_id == small_clinic.patient_b.id


def test_a_lapsed_hold_no_longer_keeps_the_slot_from_another_patient(
    session: Session, small_clinic: SmallClinic
) -> None:
    hold(session, small_clinic, "b")
    session.commit()
    appointment = book(session, small_clinic, "a", 15)
    session.commit()
    assert appointment.patient_id == small_clinic.patient_a.id
    assert count(session, SlotHold) == 0
    assert count(session, ClinicianReservation) == 1


def test_a_cancelled_slot_offered_from_the_waitlist_stays_reserved_throughout(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = book_tuesday(session, small_clinic)
    reserved = appointment.reservation_id
    join_waitlist(session, small_clinic)
    session.commit()
    cancel_at_desk(session, small_clinic, appointment)
    offer = session.scalars(select(SlotHold)).one()
    assert offer.reservation_id == reserved
    assert appointment.reservation_id is None
    assert count(session, ClinicianReservation) == 1


def test_a_lapsed_waitlist_offer_hands_its_reservation_on_or_frees_it(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = book_tuesday(session, small_clinic)
    join_waitlist(session, small_clinic)
    session.commit()
    cancel_at_desk(session, small_clinic, appointment)
    waitlist.expire_offers(session=session, now=TEST_NOW + timedelta(hours=3))
    session.commit()
    assert count(session, SlotHold) == 0
    assert count(session, ClinicianReservation) == 0


def test_booking_over_a_lapsed_waitlist_offer_puts_that_patient_back_to_waiting(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = book_tuesday(session, small_clinic)
    entry = join_waitlist(session, small_clinic)
    session.commit()
    cancel_at_desk(session, small_clinic, appointment)
    taken = book(session, small_clinic, "a", 3 * 60)
    session.commit()
    assert taken.patient_id == small_clinic.patient_a.id
    assert count(session, SlotHold) == 0
    assert session.get(WaitlistEntry, entry.id).status == "waiting"  # type: ignore[union-attr]


def test_a_patient_moves_an_appointment_to_the_same_time_with_another_clinician(
    session: Session, small_clinic: SmallClinic
) -> None:
    """The old time is let go of before the new one is taken, so the patient's own
    no-overlap rule does not stand in the way."""
    old = book_tuesday(session, small_clinic)
    moved = changes.reschedule(
        session=session,
        actor=patient(small_clinic),
        appointment_id=old.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
        clinician_id=small_clinic.pain.id,
    )
    session.commit()
    assert moved.clinician_id == small_clinic.pain.id and moved.starts_at == TUESDAY_10
    assert count(session, ClinicianReservation) == 1
