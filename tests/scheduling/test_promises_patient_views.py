"""What a patient's lists show: their own appointments and waitlist entries, never another
patient's; and every appointment a list shows is a read recorded in the audit log.

(The portal's "My appointments" page is held to the same rule by
`tests/scheduling/test_booking_pages.py`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.scheduling import service as booking
from plexcare.scheduling import waitlist
from plexcare.scheduling.waitlist_order import Urgency
from tests.conftest_db import TEST_NOW, Personas, SmallClinic
from tests.scheduling.test_booking import TUESDAY_10, patient


@dataclass(frozen=True)
class Records:
    """Ann's and Bob's record ids of one kind, by persona."""

    patient_a: int
    patient_b: int

    def of(self, persona: str) -> int:
        return self.patient_a if persona == "patient_a" else self.patient_b


OTHER = {"patient_a": "patient_b", "patient_b": "patient_a"}


def patient_ids(clinic_people: SmallClinic) -> Records:
    return Records(patient_a=clinic_people.patient_a.id, patient_b=clinic_people.patient_b.id)


@pytest.fixture
def appointments(session: Session, small_clinic: SmallClinic) -> Records:
    """Ann with Dr Okafor and Bob with Dr Lind, both on Tuesday at 10:00 (committed)."""
    ann = booking.book(
        session=session,
        actor=patient(small_clinic),
        clinician_id=small_clinic.neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    bob = booking.book(
        session=session,
        actor=patient(small_clinic, "b"),
        clinician_id=small_clinic.second_neurologist.id,
        appointment_type_id=small_clinic.consultation.id,
        starts_at=TUESDAY_10,
        now=TEST_NOW,
    )
    booked = Records(patient_a=ann.id, patient_b=bob.id)
    session.commit()
    return booked


@pytest.fixture
def waitlist_entries(session: Session, small_clinic: SmallClinic) -> Records:
    """Ann and Bob each waiting for an earlier neurology consultation (committed)."""
    joined = [
        waitlist.join(
            session=session,
            actor=patient(small_clinic, which),
            specialty="neurology",
            appointment_type_id=small_clinic.consultation.id,
            urgency=Urgency.ROUTINE,
            now=TEST_NOW,
        ).id
        for which in ("a", "b")
    ]
    session.commit()
    return Records(patient_a=joined[0], patient_b=joined[1])


@pytest.mark.parametrize("persona", ["patient_a", "patient_b"])
def test_a_patient_listing_appointments_sees_only_their_own(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    appointments: Records,
    persona: str,
) -> None:
    """Naming the other patient in the query changes nothing: a patient's list is theirs."""
    own, other = appointments.of(persona), appointments.of(OTHER[persona])
    patient_id = patient_ids(small_clinic).of(persona)
    for query in ({}, {"patient_id": patient_ids(small_clinic).of(OTHER[persona])}):
        answer = client.get("/api/v1/appointments", params=query, headers=personas.headers[persona])
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert [item["id"] for item in page["items"]] == [own]
        assert {item["patient_id"] for item in page["items"]} == {patient_id}
        assert other not in {item["id"] for item in page["items"]}
        assert page["total"] == 1


def test_the_front_desk_lists_every_patients_appointments(
    client: TestClient, personas: Personas, appointments: Records
) -> None:
    page = client.get("/api/v1/appointments", headers=personas.headers["front_desk"]).json()
    listed = {item["id"] for item in page["items"]}
    assert listed == {appointments.patient_a, appointments.patient_b}


@pytest.mark.parametrize("persona", ["patient_a", "patient_b"])
def test_a_patient_listing_the_waitlist_sees_only_their_own_entries(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    waitlist_entries: Records,
    persona: str,
) -> None:
    answer = client.get("/api/v1/waitlist", headers=personas.headers[persona])
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [item["id"] for item in items] == [waitlist_entries.of(persona)]
    assert {item["patient_id"] for item in items} == {patient_ids(small_clinic).of(persona)}
    assert waitlist_entries.of(OTHER[persona]) not in {item["id"] for item in items}


def test_the_front_desk_lists_every_patients_waitlist_entries(
    client: TestClient, personas: Personas, waitlist_entries: Records
) -> None:
    items = client.get("/api/v1/waitlist", headers=personas.headers["front_desk"]).json()["items"]
    assert {item["id"] for item in items} == {
        waitlist_entries.patient_a,
        waitlist_entries.patient_b,
    }


def appointment_reads(session: Session) -> set[tuple[int | None, str, str, int | None]]:
    """Who read which appointment of whose, as the audit log has it."""
    rows = session.execute(
        select(
            AuditEvent.actor_user_id,
            AuditEvent.actor_role,
            AuditEvent.subject_id,
            AuditEvent.patient_user_id,
        ).where(AuditEvent.action == "read", AuditEvent.subject_type == "appointment")
    ).all()
    session.commit()
    return {(row[0], row[1], row[2], row[3]) for row in rows}


def test_listing_appointments_records_a_read_by_the_lister_of_every_appointment_shown(
    client: TestClient,
    personas: Personas,
    session: Session,
    small_clinic: SmallClinic,
    appointments: Records,
) -> None:
    ann, bob = small_clinic.patient_a.id, small_clinic.patient_b.id
    desk = small_clinic.front_desk.id
    assert appointment_reads(session) == set()

    listed = client.get("/api/v1/appointments", headers=personas.headers["patient_a"])
    assert listed.status_code == 200
    assert appointment_reads(session) == {(ann, "patient", str(appointments.patient_a), ann)}

    listed = client.get("/api/v1/appointments", headers=personas.headers["front_desk"])
    assert listed.status_code == 200
    assert appointment_reads(session) == {
        (ann, "patient", str(appointments.patient_a), ann),
        (desk, "front_desk", str(appointments.patient_a), ann),
        (desk, "front_desk", str(appointments.patient_b), bob),
    }
