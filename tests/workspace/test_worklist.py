"""The clinician's worklist: today's own patients, open cases, and the patient search."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from plexcare.cases import sign_off
from plexcare.cases.models import ClinicalCase
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.portal.forms import ON_SQLITE, sign_in
from tests.workspace.clinic_day import TEN_TODAY, book_today, saved_case, staff

pytestmark = ON_SQLITE


def test_a_clinician_sees_todays_own_patients_linked_to_their_charts(
    client: TestClient, session: Session, small_clinic: SmallClinic
) -> None:
    book_today(session, small_clinic, small_clinic.patient_a)
    book_today(session, small_clinic, small_clinic.patient_b, TEN_TODAY + timedelta(days=1))
    patient_a = small_clinic.patient_a.id
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get("/clinic")
    assert page.status_code == 200
    assert "<h1>Worklist</h1>" in page.text
    assert "Today, Monday 2 March 2026" in page.text
    assert f'<a href="/clinic/patients/{patient_a}">ann</a>' in page.text
    assert "10:00 GMT" in page.text
    assert f'<a href="/clinic/cases/new?patient={patient_a}">New case' in page.text
    assert ">bob<" not in page.text


def test_open_cases_are_listed_until_their_latest_version_is_signed_off(
    client: TestClient, session: Session, small_clinic: SmallClinic
) -> None:
    record = saved_case(session, small_clinic, small_clinic.patient_a, title="Left foot drop")
    sign_in(client, "dr.okafor@clinic.example")
    assert "Left foot drop" in client.get("/clinic").text
    sign_off.sign_off(
        session=session,
        actor=staff(small_clinic.clinician_user),
        record=session.get(ClinicalCase, record.id) or record,
        number=1,
        now=TEST_NOW,
    )
    session.commit()
    page = client.get("/clinic").text
    assert "Left foot drop" not in page
    assert "No open cases" in page


def test_the_search_finds_patients_by_any_part_of_their_name_or_address(
    client: TestClient, session: Session, small_clinic: SmallClinic
) -> None:
    patient_b = small_clinic.patient_b.id
    sign_in(client, "dr.okafor@clinic.example")
    found = client.get("/clinic?q=BOB@example").text
    assert f'<a href="/clinic/patients/{patient_b}">bob</a>' in found
    assert ">ann<" not in found
    assert "dr.okafor" not in found.split("Patients matching", 1)[1]
    nothing = client.get("/clinic?q=zzz%25").text
    assert "No patient account matches." in nothing


def test_the_worklist_is_for_clinicians(client: TestClient, small_clinic: SmallClinic) -> None:
    sign_in(client, "desk@clinic.example")
    assert client.get("/clinic").status_code == 403
