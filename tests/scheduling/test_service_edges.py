"""What a booking writes and whom the booking service lets act for whom, pinned down where
`make mutate` found no test looking: the stored appointment, its rooms and machines with the
buffer, the hold's audit trail, and every refusal with the field it names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit.models import AuditEvent
from plexcare.errors import Forbidden, InvalidInput, NotFound, ServiceError
from plexcare.scheduling import service as booking
from plexcare.scheduling import waitlist, waitlist_order
from plexcare.scheduling.models import Appointment, AppointmentResource, SlotHold
from plexcare.scheduling.policy import HoldPurpose
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10, patient

EMG_AT_9 = TUESDAY_10 - timedelta(hours=1)


def desk(clinic_people: SmallClinic) -> Actor:
    return Actor(user_id=clinic_people.front_desk.id, role="front_desk", client_ip="192.0.2.9")


def audit_trail(session: Session, subject_type: str) -> list[tuple[str, str, str, int | None]]:
    """(action, actor role, subject id, patient) of every audit row about `subject_type`."""
    session.expire_all()
    rows = session.execute(
        select(
            AuditEvent.action,
            AuditEvent.actor_role,
            AuditEvent.subject_id,
            AuditEvent.patient_user_id,
        )
        .where(AuditEvent.subject_type == subject_type)
        .order_by(AuditEvent.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_a_desk_booking_stores_who_booked_it_when_and_no_strike(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = booking.book(
        session=session,
        actor=desk(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.emg.id,
        starts_at=EMG_AT_9,
        now=TEST_NOW,
        patient_id=small_clinic.patient_a.id,
    )
    session.commit()
    session.expire_all()
    stored = session.get(Appointment, appointment.id)
    assert stored is not None
    assert (stored.patient_id, stored.clinician_id, stored.appointment_type_id) == (
        small_clinic.patient_a.id,
        small_clinic.neurologist.id,
        small_clinic.emg.id,
    )
    assert (stored.starts_at, stored.ends_at, stored.blocked_until) == (
        EMG_AT_9,
        EMG_AT_9 + timedelta(minutes=60),
        EMG_AT_9 + timedelta(minutes=75),
    )
    assert (stored.status, stored.sequence, stored.strike) == ("booked", 0, False)
    assert stored.booked_by_user_id == small_clinic.front_desk.id
    assert stored.created_at == stored.updated_at == TEST_NOW
    assert stored.reservation_id is not None
    assert len(stored.uid) == 32 and int(stored.uid, 16) >= 0
    assert audit_trail(session, "appointment") == [
        ("create", "front_desk", str(appointment.id), small_clinic.patient_a.id)
    ]


def test_the_room_and_machine_are_reserved_for_the_study_and_its_buffer(
    session: Session, small_clinic: SmallClinic
) -> None:
    appointment = booking.book(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.emg.id,
        starts_at=EMG_AT_9,
        now=TEST_NOW,
    )
    session.commit()
    reserved = session.execute(
        select(
            AppointmentResource.appointment_id,
            AppointmentResource.resource_id,
            AppointmentResource.starts_at,
            AppointmentResource.blocked_until,
        ).order_by(AppointmentResource.resource_id)
    ).all()
    assert [tuple(row) for row in reserved] == [
        (appointment.id, resource.id, EMG_AT_9, EMG_AT_9 + timedelta(minutes=75))
        for resource in sorted((small_clinic.room, small_clinic.machine), key=lambda r: r.id)
    ]


def test_a_consultation_reserves_no_room_or_machine(
    session: Session, small_clinic: SmallClinic
) -> None:
    booking.book(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    session.commit()
    assert session.scalars(select(AppointmentResource)).all() == []


def _book_for(session: Session, actor: Actor, clinic_people: SmallClinic, **extra: int) -> None:
    booking.book(
        session=session,
        actor=actor,
        clinician_id=clinic_people.neurologist.id,
        appointment_type_id=clinic_people.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("who", "extra", "refusal", "field", "detail"),
    [
        ("patient_b_for_a", True, Forbidden, "patient_id", "patients book only for themselves"),
        ("desk_for_nobody", False, InvalidInput, "patient_id", "name the patient to book for"),
        ("desk_for_clinician", True, NotFound, "patient_id", "no such patient"),
        ("desk_for_itself", True, NotFound, "patient_id", "no such patient"),
        ("clinician_for_a", True, Forbidden, None, "your role may not do this"),
    ],
)
def test_who_may_book_for_whom_is_refused_naming_the_field_and_nothing_is_stored(
    session: Session,
    small_clinic: SmallClinic,
    who: str,
    extra: bool,
    refusal: type[ServiceError],
    field: str | None,
    detail: str,
) -> None:
    actors = {
        "patient_b_for_a": patient(small_clinic, "b"),
        "desk_for_nobody": desk(small_clinic),
        "desk_for_clinician": desk(small_clinic),
        "desk_for_itself": desk(small_clinic),
        "clinician_for_a": Actor(user_id=small_clinic.clinician_user.id, role="clinician"),
    }
    target = {
        "desk_for_clinician": small_clinic.clinician_user.id,
        "desk_for_itself": small_clinic.front_desk.id,
    }.get(who, small_clinic.patient_a.id)
    with pytest.raises(refusal) as raised:
        _book_for(session, actors[who], small_clinic, **({"patient_id": target} if extra else {}))
    assert (raised.value.field, raised.value.detail) == (field, detail)
    session.rollback()
    assert session.scalars(select(Appointment)).all() == []


def test_a_patient_naming_themselves_books_for_themselves(
    session: Session, small_clinic: SmallClinic
) -> None:
    _book_for(session, patient(small_clinic), small_clinic, patient_id=small_clinic.patient_a.id)
    session.commit()
    assert session.scalars(select(Appointment.patient_id)).all() == [small_clinic.patient_a.id]


def test_the_admin_books_for_a_patient_too(session: Session, small_clinic: SmallClinic) -> None:
    admin = Actor(user_id=small_clinic.admin.id, role="admin")
    _book_for(session, admin, small_clinic, patient_id=small_clinic.patient_b.id)
    session.commit()
    assert session.scalars(select(Appointment.patient_id)).all() == [small_clinic.patient_b.id]


def test_placing_and_releasing_a_hold_is_audited_and_frees_the_slot(
    session: Session, small_clinic: SmallClinic
) -> None:
    hold = booking.place_hold(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    session.commit()
    assert hold.expires_at == TEST_NOW + timedelta(minutes=10)
    booking.release_hold(
        session=session, actor=patient(small_clinic), hold_id=hold.id, now=TEST_NOW
    )
    session.commit()
    assert session.scalars(select(SlotHold)).all() == []
    assert audit_trail(session, "slot_hold") == [
        ("create", "patient", str(hold.id), small_clinic.patient_a.id),
        ("delete", "patient", str(hold.id), small_clinic.patient_a.id),
    ]
    _book_for(session, patient(small_clinic, "b"), small_clinic)
    session.commit()
    assert session.scalars(select(Appointment.patient_id)).all() == [small_clinic.patient_b.id]


def test_another_patients_hold_cannot_be_released_and_an_unknown_one_is_not_found(
    session: Session, small_clinic: SmallClinic
) -> None:
    hold = booking.place_hold(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    session.commit()
    with pytest.raises(NotFound) as stranger:
        booking.release_hold(
            session=session, actor=patient(small_clinic, "b"), hold_id=hold.id, now=TEST_NOW
        )
    session.rollback()
    with pytest.raises(NotFound) as missing:
        booking.release_hold(
            session=session, actor=patient(small_clinic), hold_id=hold.id + 1000, now=TEST_NOW
        )
    session.rollback()
    assert (stranger.value.detail, missing.value.detail) == ("no such record", "no such hold")
    assert [row.id for row in session.scalars(select(SlotHold))] == [hold.id]
    assert [row[0] for row in audit_trail(session, "slot_hold")] == ["create"]


def test_a_waitlist_offer_holds_its_slot_for_that_entry_until_the_slot_begins(
    session: Session, small_clinic: SmallClinic
) -> None:
    entry = waitlist.join(
        session=session,
        actor=patient(small_clinic),
        specialty="neurology",
        appointment_type_id=small_clinic.consultation.id,
        urgency=waitlist_order.Urgency.ROUTINE,
        now=TEST_NOW,
    )
    soon = TEST_NOW + timedelta(minutes=90)
    hold = booking.place_hold(
        session=session,
        actor=desk(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=soon,
        now=TEST_NOW,
        patient_id=small_clinic.patient_a.id,
        purpose=HoldPurpose.WAITLIST_OFFER,
        waitlist_entry_id=entry.id,
    )
    session.commit()
    session.expire_all()
    stored = session.get(SlotHold, hold.id)
    assert stored is not None
    assert (stored.waitlist_entry_id, stored.expires_at) == (entry.id, soon)
