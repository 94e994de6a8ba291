"""A patient's chart: cases, versions with what changed in clinical words, sign-offs,
follow-up visits and appointments; opening it is audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.cases import service as cases
from plexcare.engine import Case
from plexcare.knowledge.loader import knowledge_base
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.portal.forms import ON_SQLITE, sign_in
from tests.workspace.clinic_day import book_today, saved_case, staff

pytestmark = ON_SQLITE


def test_the_chart_shows_versions_and_what_changed_in_clinical_words(
    client: TestClient, session: Session, small_clinic: SmallClinic
) -> None:
    record = saved_case(session, small_clinic, small_clinic.patient_a)
    cases.save_version(
        session=session,
        actor=staff(small_clinic.clinician_user),
        case_id=record.id,
        case=Case.model_validate(
            {
                "age": 58,
                "sex": "male",
                "affected_side": "left",
                "exam": {"left": {"strength": {"tibialis_anterior": 4}}},
            }
        ),
        note_for_patient=None,
        kb=knowledge_base(),
        now=TEST_NOW,
    )
    session.commit()
    book_today(session, small_clinic, small_clinic.patient_a)
    patient_id, case_id = small_clinic.patient_a.id, record.id
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get(f"/clinic/patients/{patient_id}")
    assert page.status_code == 200
    assert "<h1>ann</h1>" in page.text
    assert f'href="/clinic/cases/{case_id}/assessment?version=2"' in page.text
    assert "Tibialis anterior, left: 2 → 4" in page.text
    assert "tibialis_anterior" not in page.text
    assert f'action="/clinic/cases/{case_id}/versions/2/sign-off"' in page.text
    assert f'href="/clinic/cases/new?patient={patient_id}"' in page.text
    assert "Neurology consultation with Dr Ada Okafor" in page.text
    session.expire_all()
    audited = {
        (event.subject_type, event.action)
        for event in session.scalars(
            select(AuditEvent).where(AuditEvent.patient_user_id == patient_id)
        )
    }
    assert {("patient_chart", "read"), ("case", "read"), ("followup", "read")} <= audited
    assert ("appointment", "read") in audited


def test_a_chart_of_someone_who_is_not_a_patient_is_not_found(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    desk = small_clinic.front_desk.id
    sign_in(client, "dr.okafor@clinic.example")
    assert client.get(f"/clinic/patients/{desk}").status_code == 404
    assert client.get("/clinic/patients/999999").status_code == 404


def test_a_patient_cannot_open_a_chart(client: TestClient, small_clinic: SmallClinic) -> None:
    patient_id = small_clinic.patient_a.id
    sign_in(client, "ann@example.org")
    assert client.get(f"/clinic/patients/{patient_id}").status_code == 403
