"""A room or machine serves one appointment at a time: the database refuses overlapping use on
PostgreSQL, and the booking service refuses it (and search never offers it) on both databases.

The EMG machine is shared by two appointment types of different lengths, so a study and a
follow-up can clash without starting at the same instant: SQLite's unique start per resource
cannot catch that, only the service's busy check (and, on PostgreSQL, the exclusion
constraint) can.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.clinic import service as clinic
from plexcare.clinic.models import AppointmentType
from plexcare.db import engine_for, session_factory
from plexcare.errors import Conflict
from plexcare.scheduling import service as booking
from plexcare.scheduling.models import Appointment, AppointmentResource
from plexcare.scheduling.reservations import SLOT_TAKEN
from tests.conftest_db import TEST_NOW, Personas, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10, patient
from tests.scheduling.test_database_constraints import raw_appointment, raw_reservation

TUESDAY_9 = TUESDAY_10 - timedelta(hours=1)
"""The first EMG study of Tuesday 3 March 2026 (GMT): it takes the room and machine until
10:15, buffer included."""
DURING_THE_STUDY = TUESDAY_9 + timedelta(minutes=30)
"""A follow-up start on the half-hour grid while the study still uses the machine."""
BLOCKED_SECONDS = 10.0


@pytest.fixture
def follow_up(session: Session, small_clinic: SmallClinic) -> AppointmentType:
    """A 30-minute nerve conduction follow-up on the EMG machine (no room), offered by Dr Lind."""
    kind = clinic.add_appointment_type(
        session=session,
        code="ncs_follow_up",
        name="Nerve conduction follow-up",
        duration_minutes=30,
        minimum_notice_minutes=60,
        resource_kinds=("emg_machine",),
    )
    clinic.offer_appointment_types(
        session=session, clinician=small_clinic.second_neurologist, appointment_types=(kind,)
    )
    session.commit()
    return kind


def book_study(session: Session, clinic_people: SmallClinic) -> Appointment:
    """Ann's EMG study with Dr Okafor at 09:00, flushed but not committed."""
    return booking.book(
        session=session,
        actor=patient(clinic_people),
        clinician_id=clinic_people.neurologist.id,
        appointment_type_id=clinic_people.emg.id,
        starts_at=TUESDAY_9,
        now=TEST_NOW,
    )


def machine_users(session: Session, clinic_people: SmallClinic) -> list[int]:
    """The appointments the EMG machine is reserved for, as committed."""
    return list(
        session.scalars(
            select(AppointmentResource.appointment_id).where(
                AppointmentResource.resource_id == clinic_people.machine.id
            )
        )
    )


def appointments_of(session: Session, patient_id: int) -> list[int]:
    return list(session.scalars(select(Appointment.id).where(Appointment.patient_id == patient_id)))


def machine_use(appointment: Appointment, clinic_people: SmallClinic) -> AppointmentResource:
    return AppointmentResource(
        appointment_id=appointment.id,
        resource_id=clinic_people.machine.id,
        starts_at=appointment.starts_at,
        blocked_until=appointment.blocked_until,
    )


def raw_appointments(
    session: Session, clinic_people: SmallClinic, lind_offset_minutes: int
) -> tuple[Appointment, Appointment]:
    """Ann with Dr Okafor at 10:00 and Bob with Dr Lind `lind_offset_minutes` later, both
    half an hour, written straight into the tables (no booking service)."""
    with_okafor = raw_reservation(session, clinic_people, 0)
    with_lind = raw_reservation(
        session, clinic_people, lind_offset_minutes, clinic_people.second_neurologist.id
    )
    ann = raw_appointment(clinic_people, clinic_people.patient_a.id, 0, with_okafor)
    bob = raw_appointment(clinic_people, clinic_people.patient_b.id, lind_offset_minutes, with_lind)
    session.add_all([ann, bob])
    session.flush()
    return ann, bob


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_overlapping_uses_of_one_machine_written_straight_to_the_database_are_refused(
    session: Session, small_clinic: SmallClinic
) -> None:
    ann, bob = raw_appointments(session, small_clinic, 15)
    session.add(machine_use(ann, small_clinic))
    session.commit()
    session.add(machine_use(bob, small_clinic))
    with pytest.raises(IntegrityError, match="ex_appointment_resources_overlap"):
        session.commit()
    session.rollback()
    assert machine_users(session, small_clinic) == [ann.id]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_back_to_back_uses_of_one_machine_are_accepted_by_the_database(
    session: Session, small_clinic: SmallClinic
) -> None:
    """The rule is per resource and half-open: it refuses overlap, not adjacency."""
    ann, bob = raw_appointments(session, small_clinic, 30)
    session.add_all([machine_use(ann, small_clinic), machine_use(bob, small_clinic)])
    session.commit()
    assert sorted(machine_users(session, small_clinic)) == sorted([ann.id, bob.id])


def wait_until_blocked_or_done(db_url: str, backend_pid: int, worker: threading.Thread) -> None:
    """Return once the other connection waits on a lock, or its thread has finished."""
    deadline = time.monotonic() + BLOCKED_SECONDS
    while worker.is_alive() and time.monotonic() < deadline:
        with engine_for(db_url).connect() as probe:
            blockers = probe.scalar(
                text("SELECT cardinality(pg_blocking_pids(:pid))"), {"pid": backend_pid}
            )
        if blockers:
            return
        time.sleep(0.02)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_of_two_bookings_racing_for_the_machine_the_database_refuses_the_second(
    db_url: str, session: Session, small_clinic: SmallClinic, follow_up: AppointmentType
) -> None:
    """Bob's follow-up is checked before Ann's study is committed, so the service finds the
    machine free: only the exclusion constraint stands between them. The follow-up waits for
    the study's transaction, then is refused as a taken slot and writes nothing."""
    study_id = book_study(session, small_clinic).id
    outcome: list[Appointment | Conflict] = []
    with session_factory(db_url)() as racer:
        backend_pid = int(racer.scalar(text("SELECT pg_backend_pid()")) or 0)

        def book_follow_up() -> None:
            try:
                outcome.append(
                    booking.book(
                        session=racer,
                        actor=patient(small_clinic, "b"),
                        clinician_id=small_clinic.second_neurologist.id,
                        appointment_type_id=follow_up.id,
                        starts_at=DURING_THE_STUDY,
                        now=TEST_NOW,
                    )
                )
                racer.commit()
            except Conflict as refused:
                racer.rollback()
                outcome.append(refused)

        worker = threading.Thread(target=book_follow_up)
        worker.start()
        wait_until_blocked_or_done(db_url, backend_pid, worker)
        session.commit()
        worker.join(timeout=30)
    [answer] = outcome
    assert isinstance(answer, Conflict)
    assert (answer.detail, answer.field) == (SLOT_TAKEN, "starts_at")
    assert machine_users(session, small_clinic) == [study_id]
    assert appointments_of(session, small_clinic.patient_b.id) == []


@pytest.mark.parametrize("path", ["/api/v1/appointments", "/api/v1/holds"])
def test_a_follow_up_needing_the_machine_during_a_study_is_refused_as_taken(
    client: TestClient,
    personas: Personas,
    session: Session,
    small_clinic: SmallClinic,
    follow_up: AppointmentType,
    path: str,
) -> None:
    """Dr Lind is free; only the machine is not. A hold reserves no machine, so for a hold
    the service's busy check is the only guard on either database."""
    study_id = book_study(session, small_clinic).id
    session.commit()
    answer = client.post(
        path,
        json={
            "clinician_id": small_clinic.second_neurologist.id,
            "appointment_type_id": follow_up.id,
            "starts_at": DURING_THE_STUDY.isoformat(),
        },
        headers=personas.headers["patient_b"],
    )
    assert answer.status_code == 409, answer.text
    assert answer.json()["detail"] == SLOT_TAKEN
    assert answer.json()["errors"][0]["field"] == "starts_at"
    assert machine_users(session, small_clinic) == [study_id]
    assert appointments_of(session, small_clinic.patient_b.id) == []
    session.commit()
    holds = client.get("/api/v1/holds", headers=personas.headers["patient_b"]).json()
    assert holds == []


def slot_times(client: TestClient, query: dict[str, object]) -> set[tuple[datetime, datetime]]:
    items = client.get("/api/v1/slots", params=query).json()["items"]
    return {
        (datetime.fromisoformat(item["starts_at"]), datetime.fromisoformat(item["ends_at"]))
        for item in items
    }


def test_slot_search_offers_no_follow_up_while_a_study_uses_the_machine(
    client: TestClient, session: Session, small_clinic: SmallClinic, follow_up: AppointmentType
) -> None:
    query = {
        "clinician_id": small_clinic.second_neurologist.id,
        "appointment_type_id": follow_up.id,
        "from_date": TUESDAY_9.date().isoformat(),
        "to_date": TUESDAY_9.date().isoformat(),
        "limit": 200,
    }
    before = slot_times(client, query)
    study = book_study(session, small_clinic)
    busy_from, busy_until = study.starts_at, study.blocked_until
    session.commit()
    clashing = {(start, end) for start, end in before if start < busy_until and end > busy_from}
    after = slot_times(client, query)
    assert (DURING_THE_STUDY, DURING_THE_STUDY + timedelta(minutes=30)) in clashing
    assert after == before - clashing
