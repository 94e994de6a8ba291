"""Every read and write of patient data lands in the audit log, readable only by admins."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit import service as audit
from plexcare.audit.models import AuditEvent
from tests.conftest_db import TEST_NOW, Personas, SmallClinic
from tests.scheduling.test_booking import booking_body


def test_booking_and_reading_an_appointment_are_audited_with_who_and_from_where(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    booked = client.post(
        "/api/v1/appointments",
        json=booking_body(small_clinic),
        headers=personas.headers["patient_a"],
    ).json()
    client.get(f"/api/v1/appointments/{booked['id']}", headers=personas.headers["front_desk"])
    events = client.get(
        "/api/v1/audit-events",
        params={"patient_id": small_clinic.patient_a.id},
        headers=personas.headers["admin"],
    ).json()["items"]
    trail = [(event["action"], event["actor_role"], event["subject_id"]) for event in events]
    assert ("create", "patient", str(booked["id"])) in trail
    assert ("read", "front_desk", str(booked["id"])) in trail
    assert all(event["client_ip"] for event in events)


def test_a_refused_request_leaves_no_audit_trail(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    booked = client.post(
        "/api/v1/appointments",
        json=booking_body(small_clinic),
        headers=personas.headers["patient_a"],
    ).json()
    answer = client.get(
        f"/api/v1/appointments/{booked['id']}", headers=personas.headers["patient_b"]
    )
    assert answer.status_code == 404
    events = client.get("/api/v1/audit-events", headers=personas.headers["admin"]).json()
    assert all(event["actor_user_id"] != small_clinic.patient_b.id for event in events["items"])


def test_reading_ones_holds_and_waitlist_entries_is_audited(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    ann = personas.headers["patient_a"]
    hold = client.post("/api/v1/holds", json=booking_body(small_clinic), headers=ann).json()
    entry = client.post(
        "/api/v1/waitlist",
        json={"specialty": "neurology", "appointment_type_id": small_clinic.consultation.id},
        headers=ann,
    ).json()
    assert [row["id"] for row in client.get("/api/v1/holds", headers=ann).json()] == [hold["id"]]
    client.get("/api/v1/waitlist", headers=personas.headers["front_desk"])
    events = client.get(
        "/api/v1/audit-events",
        params={"patient_id": small_clinic.patient_a.id},
        headers=personas.headers["admin"],
    ).json()["items"]
    reads = {
        (event["actor_role"], event["subject_type"], event["subject_id"])
        for event in events
        if event["action"] == "read"
    }
    assert ("patient", "slot_hold", str(hold["id"])) in reads
    assert ("front_desk", "waitlist_entry", str(entry["id"])) in reads


def test_placing_and_releasing_a_hold_are_audited(
    client: TestClient, personas: Personas, small_clinic: SmallClinic
) -> None:
    ann = personas.headers["patient_a"]
    hold = client.post("/api/v1/holds", json=booking_body(small_clinic), headers=ann).json()
    released = client.delete(f"/api/v1/holds/{hold['id']}", headers=ann)
    assert released.status_code == 204
    events = client.get(
        "/api/v1/audit-events",
        params={"patient_id": small_clinic.patient_a.id},
        headers=personas.headers["admin"],
    ).json()["items"]
    trail = {(event["action"], event["subject_type"], event["subject_id"]) for event in events}
    assert ("create", "slot_hold", str(hold["id"])) in trail
    assert ("delete", "slot_hold", str(hold["id"])) in trail


def test_the_batched_and_the_immediate_audit_writers_store_the_same_row(
    session: Session, small_clinic: SmallClinic
) -> None:
    desk = Actor(user_id=small_clinic.front_desk.id, role="front_desk", client_ip="10.0.0.7")
    for write in (audit.record_access, audit.record_access_now):
        write(
            session=session,
            actor=desk,
            action="read",
            subject_type="appointment",
            subject_id=41,
            patient_user_id=small_clinic.patient_a.id,
            now=TEST_NOW,
        )
    session.flush()
    rows = session.execute(
        select(
            AuditEvent.occurred_at,
            AuditEvent.actor_user_id,
            AuditEvent.actor_role,
            AuditEvent.action,
            AuditEvent.subject_type,
            AuditEvent.subject_id,
            AuditEvent.patient_user_id,
            AuditEvent.client_ip,
        )
    ).all()
    expected = (
        TEST_NOW,
        small_clinic.front_desk.id,
        "front_desk",
        "read",
        "appointment",
        "41",
        small_clinic.patient_a.id,
        "10.0.0.7",
    )
    assert [tuple(row) for row in rows] == [expected, expected]


@pytest.mark.parametrize("write", [audit.record_access, audit.record_access_now])
def test_an_unknown_audit_action_is_refused_by_both_writers(
    session: Session, small_clinic: SmallClinic, write: Callable[..., object]
) -> None:
    with pytest.raises(ValueError, match="peek"):
        write(
            session=session,
            actor=Actor(user_id=small_clinic.front_desk.id, role="front_desk"),
            action="peek",
            subject_type="appointment",
            subject_id=1,
            patient_user_id=small_clinic.patient_a.id,
            now=TEST_NOW,
        )
