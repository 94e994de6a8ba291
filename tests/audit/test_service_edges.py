"""Reading the audit log, as an admin does: `make mutate` found that dropping or inverting its
filters, its order or its total changed no test's answer."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.models import User
from plexcare.audit import service as audit
from tests.conftest_db import TEST_NOW, Personas, SmallClinic


def _read(session: Session, who: User, patient: User, minutes: int, subject_id: int) -> int:
    event = audit.record_access(
        session=session,
        actor=Actor(user_id=who.id, role=who.role, client_ip="203.0.113.9"),
        action="read",
        subject_type="appointment",
        subject_id=subject_id,
        patient_user_id=patient.id,
        now=TEST_NOW + timedelta(minutes=minutes),
    )
    session.flush()
    return event.id


def _page(client: TestClient, personas: Personas, **params: int) -> tuple[list[int], int]:
    answer = client.get("/api/v1/audit-events", params=params, headers=personas.headers["admin"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return [item["id"] for item in body["items"]], body["total"]


def test_the_audit_log_filters_by_patient_and_by_actor_newest_first(
    client: TestClient, session: Session, personas: Personas, small_clinic: SmallClinic
) -> None:
    ann, bob = small_clinic.patient_a, small_clinic.patient_b
    doctor, desk = small_clinic.clinician_user, small_clinic.front_desk
    ann_early = _read(session, doctor, ann, 0, 1)
    bob_by_desk = _read(session, desk, bob, 60, 2)
    bob_by_doctor = _read(session, doctor, bob, 120, 3)
    ann_late = _read(session, doctor, ann, 120, 4)
    ann_later_same_minute = _read(session, desk, ann, 120, 5)
    ann_written_last_but_oldest = _read(session, desk, ann, -60, 6)
    session.commit()

    assert _page(client, personas, patient_id=ann.id) == (
        [ann_later_same_minute, ann_late, ann_early, ann_written_last_but_oldest],
        4,
    )
    assert _page(client, personas, actor_user_id=desk.id, patient_id=bob.id) == (
        [bob_by_desk],
        1,
    )
    assert _page(client, personas, actor_user_id=doctor.id, patient_id=bob.id) == (
        [bob_by_doctor],
        1,
    )
    by_doctor, doctor_total = _page(client, personas, actor_user_id=doctor.id)
    assert set(by_doctor) >= {ann_early, bob_by_doctor, ann_late}
    assert bob_by_desk not in by_doctor and ann_later_same_minute not in by_doctor
    assert doctor_total == len(by_doctor)


def test_the_audit_log_pages_and_counts_what_matches(
    client: TestClient, session: Session, personas: Personas, small_clinic: SmallClinic
) -> None:
    ann, doctor = small_clinic.patient_a, small_clinic.clinician_user
    ids = [_read(session, doctor, ann, minutes, minutes) for minutes in range(5)]
    session.commit()

    assert _page(client, personas, patient_id=ann.id, limit=2, offset=1) == (
        [ids[3], ids[2]],
        5,
    )
    assert _page(client, personas, patient_id=small_clinic.patient_b.id) == ([], 0)
