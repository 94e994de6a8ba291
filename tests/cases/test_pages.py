"""The clinician's case form and assessment report: clinicians only, the leading localization
shown for a worked example, errors named beside the field, and saving to a patient's record."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.cases.models import ClinicalCase
from plexcare.engine import Case, assess
from plexcare.knowledge.model import KnowledgeBase
from tests.conftest_db import SmallClinic
from tests.portal.forms import ON_SQLITE, csrf_token, sign_in

pytestmark = ON_SQLITE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cases"


def example(name: str) -> str:
    return (EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["l5_radiculopathy", "pan_plexus_haematoma_anticoagulated"])
def test_an_example_case_is_reported_with_its_leading_localization(
    client: TestClient, small_clinic: SmallClinic, kb: KnowledgeBase, name: str
) -> None:
    expected = assess(Case.model_validate(yaml.safe_load(example(name))), kb)
    sign_in(client, "dr.okafor@clinic.example")
    token = csrf_token(client, f"/clinic/cases/new?example={name}")
    report = client.post(
        "/clinic/assessment", data={"csrf_token": token, "advanced": example(name)}
    )
    assert report.status_code == 200, report.text
    leader = html.escape(expected.localization.leader.label)
    assert f'<strong class="leading-label">{leader}</strong>' in report.text
    assert html.escape(expected.etiology[0].name) in report.text
    assert expected.kb_version in report.text
    assert 'class="bar-fill" style="width: ' in report.text
    assert "Not saved to a patient" in report.text
    for heading in ("Where is the lesion?", "What is causing it?", "Plan"):
        assert heading in report.text


def test_the_form_offers_the_examples_and_loads_one_into_the_advanced_box(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get("/clinic/cases/new?example=cauda_equina")
    assert page.status_code == 200
    assert 'href="/clinic/cases/new?example=l5_radiculopathy"' in page.text
    assert html.escape(example("cauda_equina"), quote=False).splitlines()[-1] in page.text
    assert 'href="/clinic/case-schema.json"' in page.text


def test_structured_fields_build_a_case_and_raise_red_flags(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    token = csrf_token(client, "/clinic/cases/new")
    report = client.post(
        "/clinic/assessment",
        data={
            "csrf_token": token,
            "age": "61",
            "sex": "female",
            "tempo": "acute",
            "affected_side": "left",
            "symptoms.saddle_numbness": "yes",
            "symptoms.bladder_bowel": "yes",
            "exam.left.strength.tibialis_anterior": "2",
            "exam.left.reflexes.achilles_reflex": "absent",
        },
    )
    assert report.status_code == 200, report.text
    assert "Red flags" in report.text
    assert "EMERGENCY" in report.text


BAD_EMG = "emg: {left: {tibialis_anteriorr: {fibrillations: 2}}}"


@pytest.mark.parametrize(
    ("fields", "error_id", "explanation"),
    [
        ({"age": "old", "pain.score": "14"}, "error-age", "Enter a whole number."),
        ({"age": "50", "pain.score": "14"}, "error-pain.score", "less than or equal to 10"),
        ({"age": "50"}, "error-advanced", "tibialis_anterior"),
    ],
    ids=["age", "pain score", "advanced"],
)
def test_bad_values_come_back_beside_their_fields(
    client: TestClient,
    small_clinic: SmallClinic,
    fields: dict[str, str],
    error_id: str,
    explanation: str,
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    token = csrf_token(client, "/clinic/cases/new")
    page = client.post(
        "/clinic/assessment",
        data={"csrf_token": token, "sex": "female", "advanced": BAD_EMG, **fields},
    )
    assert page.status_code == 422
    assert f'id="{error_id}"' in page.text
    assert explanation in page.text


def test_a_case_is_saved_to_the_named_patients_record(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    token = csrf_token(client, "/clinic/cases/new")
    report = client.post(
        "/clinic/assessment",
        data={
            "csrf_token": token,
            "advanced": example("l5_radiculopathy"),
            "patient_email": "ann@example.org",
            "case_title": "Left foot drop",
        },
    )
    assert report.status_code == 200, report.text
    assert "Saved to the record of" in report.text
    record = session.scalars(select(ClinicalCase)).one()
    assert record.patient_id == small_clinic.patient_a.id
    assert record.title == "Left foot drop"


def test_an_unknown_patient_is_named_and_nothing_is_saved(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    token = csrf_token(client, "/clinic/cases/new")
    page = client.post(
        "/clinic/assessment",
        data={
            "csrf_token": token,
            "advanced": example("l5_radiculopathy"),
            "patient_email": "dr.okafor@clinic.example",
        },
    )
    assert page.status_code == 422
    assert 'id="error-patient_email"' in page.text
    assert session.scalars(select(ClinicalCase)).all() == []


@pytest.mark.parametrize(
    "email", ["ann@example.org", "desk@clinic.example", "admin@clinic.example"]
)
def test_other_roles_are_refused(client: TestClient, small_clinic: SmallClinic, email: str) -> None:
    sign_in(client, email)
    assert client.get("/clinic/cases/new").status_code == 403
    token = csrf_token(client, "/self-check")
    answer = client.post(
        "/clinic/assessment", data={"csrf_token": token, "advanced": example("cidp")}
    )
    assert answer.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = client.get("/clinic/cases/new", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fclinic%2Fcases%2Fnew"


def test_the_case_schema_is_published_for_the_advanced_box(client: TestClient) -> None:
    schema = client.get("/clinic/case-schema.json").json()
    assert {"age", "sex", "emg", "nerve_conduction"} <= set(schema["properties"])
