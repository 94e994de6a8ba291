"""Reading a patient's follow-up series and reading one second-opinion request each leave an
audit entry naming who read, that it was a read, and which record, on SQLite and PostgreSQL;
a read that is refused leaves none."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from tests.conftest_db import Personas, SmallClinic
from tests.followup.test_followup_series import record
from tests.second_opinions.test_workflow import submit

Read = tuple[int | None, str, str, int | None]
"""An audited read: the reader's user id and role, the record's id, the record's patient."""


def reads_of(session: Session, subject_type: str) -> list[Read]:
    """Every audited read of records of `subject_type`, oldest first."""
    rows = session.execute(
        select(
            AuditEvent.actor_user_id,
            AuditEvent.actor_role,
            AuditEvent.subject_id,
            AuditEvent.patient_user_id,
        )
        .where(AuditEvent.action == "read", AuditEvent.subject_type == subject_type)
        .order_by(AuditEvent.id)
    ).all()
    session.rollback()
    return [
        (row.actor_user_id, row.actor_role, row.subject_id, row.patient_user_id) for row in rows
    ]


def test_reading_a_patients_follow_up_series_is_audited_per_reader(
    client: TestClient, personas: Personas, small_clinic: SmallClinic, session: Session
) -> None:
    ann = small_clinic.patient_a.id
    recorded = record(
        client, personas, small_clinic, 14, [{"scale": "pain_numeric_rating", "value": 6}]
    )
    assert recorded.status_code == 201, recorded.text
    assert reads_of(session, "followup") == []
    url = f"/api/v1/patients/{ann}/follow-up"

    by_clinician = client.get(url, headers=personas.headers["clinician"])
    by_patient = client.get(url, headers=personas.headers["patient_a"])
    by_other_patient = client.get(url, headers=personas.headers["patient_b"])

    assert (by_clinician.status_code, by_patient.status_code) == (200, 200)
    assert by_other_patient.status_code == 404
    assert reads_of(session, "followup") == [
        (small_clinic.clinician_user.id, "clinician", str(ann), ann),
        (ann, "patient", str(ann), ann),
    ]


def test_reading_one_second_opinion_request_is_audited_per_reader(
    client: TestClient,
    personas: Personas,
    small_clinic: SmallClinic,
    session: Session,
    tmp_path: Path,
) -> None:
    client.app.state.upload_dir = tmp_path / "uploads"  # type: ignore[attr-defined]
    ann = small_clinic.patient_a.id
    submitted = submit(client, personas.headers["patient_a"], [])
    assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()["id"]
    assert reads_of(session, "second_opinion") == []
    url = f"/api/v1/second-opinions/{request_id}"

    by_clinician = client.get(url, headers=personas.headers["clinician"])
    by_patient = client.get(url, headers=personas.headers["patient_a"])
    by_other_patient = client.get(url, headers=personas.headers["patient_b"])

    assert (by_clinician.status_code, by_patient.status_code) == (200, 200)
    assert by_other_patient.status_code == 404
    assert reads_of(session, "second_opinion") == [
        (small_clinic.clinician_user.id, "clinician", str(request_id), ann),
        (ann, "patient", str(request_id), ann),
    ]
