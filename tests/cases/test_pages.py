"""The clinician's case pages: clinicians only; a preview of an example's leading site;
errors named beside the field and in the summary; saving a case or a new version answers with
a redirect to the assessment, and the same form sent again writes nothing; a signed-off
version is read-only until the case is reopened; every step is audited."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit.models import AuditEvent
from plexcare.case_drafts import service as case_drafts
from plexcare.cases.models import CaseSignOff, CaseVersion, ClinicalCase
from plexcare.engine import Case, assess
from plexcare.knowledge.model import KnowledgeBase
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.portal.forms import ON_SQLITE, csrf_token, sign_in

pytestmark = ON_SQLITE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cases"
FOOT_DROP = {
    "age": "58",
    "sex": "male",
    "affected_side": "left",
    "exam.left.strength.ankle_dorsiflexion": "2",
    "exam.left.reflexes.achilles_reflex": "normal",
    "exam.left.sensation.dorsum_of_foot": "reduced",
    "nerve_conduction.left.fibular_cmap_edb.amplitude": "0.8",
    "nerve_conduction.left.superficial_fibular_snap.amplitude": "2",
    "emg_row.0.muscle": "tibialis_anterior",
    "emg_row.0.side": "left",
    "emg_row.0.fibrillations": "2",
    "emg_row.0.recruitment": "reduced",
}


def example(name: str) -> str:
    return (EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8")


def clinician(client: TestClient) -> str:
    sign_in(client, "dr.okafor@clinic.example")
    return csrf_token(client, "/clinic/cases/new")


def audit_actions(session: Session, subject_type: str) -> list[str]:
    session.expire_all()
    found = [
        event.action
        for event in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type)
            .order_by(AuditEvent.id)
        )
    ]
    session.rollback()
    return found


def versions(session: Session) -> list[int]:
    session.expire_all()
    found = [v.number for v in session.scalars(select(CaseVersion).order_by(CaseVersion.number))]
    session.rollback()
    return found


def the_case(session: Session) -> int:
    """The one saved case's id; the test's read ends at once, so the app (one SQLite
    connection per process) is not kept waiting for the connection."""
    session.expire_all()
    case_id = session.scalars(select(ClinicalCase.id)).one()
    session.rollback()
    return case_id


def save_new(client: TestClient, token: str, small_clinic: SmallClinic, **fields: str) -> str:
    answer = client.post(
        "/clinic/cases",
        data={
            "csrf_token": token,
            "patient_id": str(small_clinic.patient_a.id),
            "case_title": "Left foot drop",
            **FOOT_DROP,
            **fields,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


@pytest.mark.parametrize("name", ["l5_radiculopathy", "pan_plexus_haematoma_anticoagulated"])
def test_an_example_case_is_previewed_with_its_leading_localization(
    client: TestClient, small_clinic: SmallClinic, kb: KnowledgeBase, name: str
) -> None:
    expected = assess(Case.model_validate(yaml.safe_load(example(name))), kb)
    sign_in(client, "dr.okafor@clinic.example")
    token = csrf_token(client, f"/clinic/cases/new?example={name}")
    report = client.post(
        "/clinic/assessment", data={"csrf_token": token, "advanced": example(name)}
    )
    assert report.status_code == 200, report.text
    assert html.escape(expected.localization.leader.label) in report.text
    assert html.escape(expected.etiology[0].name) in report.text
    assert "Not saved to a patient" in report.text


def test_the_form_offers_the_examples_and_loads_one_into_the_advanced_box(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get("/clinic/cases/new?example=cauda_equina")
    assert page.status_code == 200
    assert 'href="/clinic/cases/new?example=l5_radiculopathy"' in page.text
    assert html.escape(example("cauda_equina"), quote=False).splitlines()[-1] in page.text
    assert 'href="/clinic/case-schema.json"' in page.text


def test_the_form_has_the_tables_in_clinical_words_and_its_script(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get("/clinic/cases/new").text
    assert "Strength by movement (MRC 0-5)" in page
    assert 'name="exam.left.give_way.ankle_dorsiflexion"' in page
    assert "Sural sensory nerve action potential" in page
    assert 'data-amplitude-bands="60:3 70:1 75:0"' in page
    assert 'class="sensory-area" href="#field-exam.left.sensation.dorsum_of_foot"' in page
    assert '<option value="tibialis_anterior">Tibialis anterior</option>' in page
    assert 'name="imaging_row.0.kind"' in page and 'name="labs.crp"' in page
    assert '<script src="/static/js/case_form.js" defer></script>' in page
    assert ">tibialis_anterior<" not in page


def test_the_normal_limit_for_the_patients_age_stands_beside_a_value_and_marks_it(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    token = clinician(client)
    page = client.post(
        "/clinic/cases",
        data={
            "csrf_token": token,
            "age": "72",
            "nerve_conduction.left.sural_snap.amplitude": "2",
        },
    )
    assert page.status_code == 422
    sural = page.text.split('id="field-nerve_conduction.left.sural_snap.amplitude"', 1)[1]
    assert "normal ≥ 1" in sural[:400]
    assert "outside the normal limit" not in sural[:400]
    page = client.post(
        "/clinic/cases",
        data={"csrf_token": token, "age": "40", "nerve_conduction.left.sural_snap.amplitude": "2"},
    )
    sural = page.text.split('id="field-nerve_conduction.left.sural_snap.amplitude"', 1)[1]
    assert "normal ≥ 6" in sural[:400]
    assert "outside the normal limit" in sural[:400]
    assert (
        '<td class="study-cell study-abnormal" data-column="amplitude">'
        in page.text.split("Sural sensory", 1)[1][:900]
    )


def test_the_static_script_is_served_for_the_content_policy(client: TestClient) -> None:
    script = client.get("/static/js/case_form.js")
    assert script.status_code == 200
    assert "outside the normal limit" in script.text
    assert client.get("/static/css/case_form.css").status_code == 200


def test_structured_fields_build_a_case_and_raise_red_flags(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    token = clinician(client)
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


BAD_EMG = "emg: {left: {tibialis_anteriorr: {fibrillations: 2}}}"


@pytest.mark.parametrize(
    ("fields", "error_id", "beside", "summary"),
    [
        (
            {"age": "old", "pain.score": "14"},
            "error-age",
            "Enter a whole number.",
            "Age (years): Enter a whole number.",
        ),
        (
            {"age": "50", "pain.score": "14"},
            "error-pain.score",
            "Enter a value of at most 10.",
            "Worst pain (0-10): Enter a value of at most 10.",
        ),
        ({"age": "50", "advanced": BAD_EMG}, "error-advanced", "tibialis_anterior", "Advanced box"),
        ({"age": "50", "sex": ""}, "error-sex", "Choose one from the list.", "Sex: Choose one"),
    ],
    ids=["age", "pain score", "advanced", "missing sex"],
)
def test_bad_values_come_back_beside_their_fields_and_named_in_the_summary(
    client: TestClient,
    small_clinic: SmallClinic,
    fields: dict[str, str],
    error_id: str,
    beside: str,
    summary: str,
) -> None:
    token = clinician(client)
    page = client.post("/clinic/assessment", data={"csrf_token": token, "sex": "female", **fields})
    assert page.status_code == 422
    assert f'id="{error_id}"' in page.text
    assert beside in page.text
    listed = page.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert summary in html.unescape(listed)
    assert "Field required" not in page.text


def test_a_case_is_saved_to_the_named_patients_record_and_shown_by_redirect(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    token = clinician(client)
    answer = client.post(
        "/clinic/cases",
        data={
            "csrf_token": token,
            "advanced": example("l5_radiculopathy"),
            "patient_email": "ann@example.org",
            "case_title": "Left foot drop",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    record = session.scalars(select(ClinicalCase)).one()
    assert answer.headers["location"] == f"/clinic/cases/{record.id}/assessment?version=1"
    assert record.patient_id == small_clinic.patient_a.id
    assert record.title == "Left foot drop"
    assert audit_actions(session, "case")[0] == "create"


def test_a_case_started_from_the_chart_carries_its_patient(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get(f"/clinic/cases/new?patient={small_clinic.patient_a.id}")
    assert f'name="patient_id" value="{small_clinic.patient_a.id}"' in page.text
    token = csrf_token(client, "/clinic/cases/new")
    save_new(client, token, small_clinic)
    record = session.scalars(select(ClinicalCase)).one()
    assert record.patient_id == small_clinic.patient_a.id
    stored = session.scalars(select(CaseVersion)).one().case_data
    assert stored["emg"]["left"]["tibialis_anterior"]["recruitment"] == "reduced"
    assert stored["nerve_conduction"]["left"]["fibular_cmap_edb"]["unit"] == "mV"


def test_the_same_form_sent_twice_saves_one_case(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    token = clinician(client)
    first = save_new(client, token, small_clinic)
    second = save_new(client, token, small_clinic)
    assert first == second
    assert len(session.scalars(select(ClinicalCase)).all()) == 1
    assert versions(session) == [1]


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"patient_email": "dr.okafor@clinic.example"}, "No patient account has this e-mail"),
        ({}, "Enter the patient&#39;s e-mail address"),
    ],
)
def test_a_case_without_a_patient_is_named_and_nothing_is_saved(
    client: TestClient,
    small_clinic: SmallClinic,
    session: Session,
    fields: dict[str, str],
    said: str,
) -> None:
    token = clinician(client)
    page = client.post(
        "/clinic/cases",
        data={"csrf_token": token, "advanced": example("l5_radiculopathy"), **fields},
    )
    assert page.status_code == 422
    assert 'id="error-patient_email"' in page.text
    assert said in page.text
    assert session.scalars(select(ClinicalCase)).all() == []


def test_editing_saves_a_new_version_on_top_and_a_resend_adds_nothing(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    token = clinician(client)
    save_new(client, token, small_clinic)
    case_id = the_case(session)
    form = client.get(f"/clinic/cases/{case_id}/edit")
    assert form.status_code == 200
    assert 'name="based_on" value="1"' in form.text
    assert 'id="field-exam.left.strength.ankle_dorsiflexion"' in form.text
    assert '<option value="2" selected>2</option>' in form.text
    edited = {**FOOT_DROP, "exam.left.strength.ankle_dorsiflexion": "3"}
    data = {"csrf_token": token, "based_on": "1", "case_title": "Left foot drop", **edited}
    answer = client.post(f"/clinic/cases/{case_id}/versions", data=data, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/clinic/cases/{case_id}/assessment?version=2"
    again = client.post(f"/clinic/cases/{case_id}/versions", data=data, follow_redirects=False)
    assert again.headers["location"] == answer.headers["location"]
    assert versions(session) == [1, 2]
    assert audit_actions(session, "case").count("update") == 1


def test_a_version_saved_meanwhile_is_not_overwritten(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    token = clinician(client)
    save_new(client, token, small_clinic)
    case_id = the_case(session)
    base = {"csrf_token": token, "based_on": "1"}
    client.post(f"/clinic/cases/{case_id}/versions", data={**base, **FOOT_DROP, "age": "59"})
    stale = client.post(
        f"/clinic/cases/{case_id}/versions", data={**base, **FOOT_DROP, "age": "60"}
    )
    assert stale.status_code == 422
    assert "Version 2 was saved while you were editing version 1" in stale.text
    assert versions(session) == [1, 2]


def test_a_signed_off_version_is_read_only_until_the_case_is_reopened(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    clinician_id = small_clinic.clinician_user.id
    token = clinician(client)
    save_new(client, token, small_clinic)
    case_id = the_case(session)
    signed = client.post(
        f"/clinic/cases/{case_id}/versions/1/sign-off",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    session.expire_all()
    sign_off = session.scalars(select(CaseSignOff)).one()
    signed_version, signer = sign_off.case_version_id, sign_off.signed_by_user_id
    session.rollback()
    assert signer == clinician_id
    assert audit_actions(session, "case_sign_off") == ["update"]
    twice = client.post(f"/clinic/cases/{case_id}/versions/1/sign-off", data={"csrf_token": token})
    assert twice.status_code == 409
    read_only = client.get(f"/clinic/cases/{case_id}/edit")
    assert "A signed-off version is final and" in read_only.text
    assert 'name="based_on"' not in read_only.text
    reopened = client.post(
        f"/clinic/cases/{case_id}/reopen", data={"csrf_token": token}, follow_redirects=False
    )
    assert reopened.headers["location"] == f"/clinic/cases/{case_id}/edit?reopened=1"
    assert audit_actions(session, "case_reopened") == ["update"]
    assert 'name="based_on" value="1"' in client.get(reopened.headers["location"]).text
    client.post(
        f"/clinic/cases/{case_id}/versions",
        data={"csrf_token": token, "based_on": "1", **FOOT_DROP, "age": "59"},
    )
    assert versions(session) == [1, 2]
    assert session.scalars(select(CaseSignOff)).one().case_version_id == signed_version


def test_signing_off_or_reopening_needs_the_forms_token_and_a_known_case(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    token = clinician(client)
    save_new(client, token, small_clinic)
    case_id = the_case(session)
    for path in (f"/clinic/cases/{case_id}/versions/1/sign-off", f"/clinic/cases/{case_id}/reopen"):
        assert client.post(path, data={"csrf_token": "forged"}).status_code == 403
    for path in ("/clinic/cases/999999/versions/1/sign-off", "/clinic/cases/999999/reopen"):
        missing = client.post(path, data={"csrf_token": token})
        assert missing.status_code == 404
        assert "Case not found" in missing.text and "Go to the worklist" in missing.text
    assert session.scalars(select(CaseSignOff)).all() == []
    assert audit_actions(session, "case_sign_off") == []
    assert audit_actions(session, "case_reopened") == []


def test_only_the_latest_version_can_be_signed_off(
    client: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    token = clinician(client)
    save_new(client, token, small_clinic)
    case_id = the_case(session)
    client.post(
        f"/clinic/cases/{case_id}/versions",
        data={"csrf_token": token, "based_on": "1", **FOOT_DROP, "age": "59"},
    )
    old = client.post(f"/clinic/cases/{case_id}/versions/1/sign-off", data={"csrf_token": token})
    assert old.status_code == 409
    assert session.scalars(select(CaseSignOff)).all() == []


@pytest.mark.parametrize(
    "email", ["ann@example.org", "desk@clinic.example", "admin@clinic.example"]
)
def test_other_roles_are_refused(client: TestClient, small_clinic: SmallClinic, email: str) -> None:
    sign_in(client, email)
    assert client.get("/clinic/cases/new").status_code == 403
    token = csrf_token(client, "/self-check")
    for path in ("/clinic/assessment", "/clinic/cases"):
        answer = client.post(path, data={"csrf_token": token, "advanced": example("cidp")})
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


def test_a_draft_from_an_ehr_launch_fills_the_tables_for_its_clinician_only(
    client: TestClient, second_browser: TestClient, small_clinic: SmallClinic, session: Session
) -> None:
    doctor = Actor(user_id=small_clinic.clinician_user.id, role=Role.clinician)
    draft = case_drafts.keep_draft(
        session=session,
        actor=doctor,
        case_data={"age": 61, "sex": "female", "exam": {"left": {"strength": {"soleus": 3}}}},
        source="https://ehr.example/fhir",
        ehr_patient="Patient/77",
        patient_name="Ruth Example",
        now=TEST_NOW,
    )
    draft_id = draft.id
    session.commit()
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get(f"/clinic/cases/new?draft={draft_id}")
    assert page.status_code == 200
    assert "New case from the health record of Ruth Example" in page.text
    assert 'id="field-age" name="age" value="61"' in page.text
    soleus = page.text.split('id="field-exam.left.strength.soleus"', 1)[1]
    assert '<option value="3" selected>3</option>' in soleus[:600]
    assert audit_actions(session, "case_draft") == ["create", "read"]
    assert client.get("/clinic/cases/new?draft=not-a-draft").status_code == 404
    sign_in(second_browser, "ann@example.org")
    assert second_browser.get(f"/clinic/cases/new?draft={draft_id}").status_code == 403
