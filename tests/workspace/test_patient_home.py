"""The patient's home: their own appointments and self-checks, read audited, and services."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from tests.conftest_db import SmallClinic
from tests.portal.forms import ON_SQLITE, sign_in
from tests.workspace.clinic_day import book_today, self_check

pytestmark = ON_SQLITE


def test_a_patient_sees_their_next_appointment_and_self_check_advice(
    client: TestClient, session: Session, small_clinic: SmallClinic
) -> None:
    book_today(session, small_clinic, small_clinic.patient_a)
    record = self_check(session, small_clinic.patient_a, urgency="urgent")
    sign_in(client, "ann@example.org")
    page = client.get("/me")
    assert page.status_code == 200
    assert "<h1>My home</h1>" in page.text
    assert "Monday 2 March 2026, 10:00 GMT" in page.text
    assert "Neurology consultation with Dr Ada Okafor" in page.text
    assert "See a doctor within the next few days" in page.text
    assert 'href="/me/appointments"' in page.text
    session.expire_all()
    read = session.scalars(
        select(AuditEvent).where(
            AuditEvent.subject_type == "triage_record", AuditEvent.subject_id == str(record.id)
        )
    ).all()
    assert [event.action for event in read] == ["read"]


def test_another_patients_appointments_are_not_on_my_home(
    client: TestClient, session: Session, small_clinic: SmallClinic
) -> None:
    book_today(session, small_clinic, small_clinic.patient_b)
    self_check(session, small_clinic.patient_b, urgency="urgent")
    sign_in(client, "ann@example.org")
    page = client.get("/me")
    assert "You have no appointments coming up." in page.text
    assert "You have not done a self-check while signed in." in page.text


def test_staff_are_not_shown_a_patient_home(client: TestClient, small_clinic: SmallClinic) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    assert client.get("/me").status_code == 403
