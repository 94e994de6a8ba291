"""The assessment page of a saved version: a summary first, clinical names only, the body map,
reloads that write nothing but the audit trail, earlier versions as they were, and clear
answers for a missing case or a role that may not read it."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit.models import AuditEvent
from plexcare.cases import service as cases
from plexcare.cases.models import CaseVersion
from plexcare.engine import Case
from plexcare.knowledge.model import KnowledgeBase
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.portal.forms import ON_SQLITE, sign_in

pytestmark = ON_SQLITE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cases"


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text("utf-8"))
    return loaded


def save_case(
    session: Session,
    clinic: SmallClinic,
    kb: KnowledgeBase,
    case: dict[str, Any],
    *,
    title: str = "Left leg weakness",
) -> int:
    """A case saved by Dr Okafor to Ann's record, as the case form does; its id."""
    clinician = Actor(user_id=clinic.clinician_user.id, role="clinician")
    record, _version = cases.create_case(
        session=session,
        actor=clinician,
        patient_id=clinic.patient_a.id,
        title=title,
        case=Case.model_validate(case),
        note_for_patient="",
        kb=kb,
        now=TEST_NOW,
    )
    session.commit()
    return record.id


def reads_of(session: Session, case_id: int) -> int:
    session.expire_all()
    count = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.subject_type == "case",
            AuditEvent.subject_id == case_id,
            AuditEvent.action == "read",
        )
    )
    return int(count or 0)


def summary_of(page: str) -> str:
    found = re.search(r'<section class="assessment-summary".*?</section>', page, re.S)
    assert found is not None, "no summary section"
    return found.group(0)


def test_the_page_opens_with_site_cause_plexopathy_red_flags_and_the_next_test(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    case_id = save_case(session, small_clinic, kb, example("pan_plexus_haematoma_anticoagulated"))
    stored = session.scalars(select(CaseVersion)).one().assessment
    session.rollback()  # SQLite: the app needs the connection this read holds
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get(f"/clinic/cases/{case_id}/assessment")
    assert page.status_code == 200, page.text
    summary = summary_of(page.text)
    assert '<h2 id="summary-heading">Summary</h2>' in summary
    assert html.escape(stored["etiology"][0]["name"]) in summary
    assert "pan-plexopathy" in summary.lower()
    assert "Likely" in summary
    assert "Emergency:" in summary
    tests = stored.get("next_tests") or []
    expected = tests[0]["name"] if tests else "No further test changes the ranking much"
    assert html.escape(expected) in summary
    assert "Body map" in page.text
    assert "<svg" in page.text and 'role="img"' in page.text
    assert "Download PDF" in page.text
    assert f'href="/clinic/patients/{small_clinic.patient_a.id}/follow-up"' in page.text


def test_reloading_writes_no_new_version_and_each_view_is_audited(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    case_id = save_case(session, small_clinic, kb, example("l5_radiculopathy"))
    sign_in(client, "dr.okafor@clinic.example")
    for _ in range(2):
        assert client.get(f"/clinic/cases/{case_id}/assessment").status_code == 200
    assert session.scalar(select(func.count()).select_from(CaseVersion)) == 1
    assert reads_of(session, case_id) == 2


def test_no_engine_ids_reach_the_page(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    case_id = save_case(session, small_clinic, kb, example("l5_radiculopathy"))
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get(f"/clinic/cases/{case_id}/assessment").text
    words = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "peptic ulcer disease" in words
    assert not re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", words)


def test_the_header_counts_what_the_answer_rests_on_even_without_an_examination(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    history_only = {
        "age": 70,
        "sex": "female",
        "tempo": "acute",
        "symptoms": {"fever": True, "back_pain": True},
        "history": {"anticoagulant": "warfarin"},
    }
    case_id = save_case(session, small_clinic, kb, history_only)
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get(f"/clinic/cases/{case_id}/assessment").text
    assert "0 findings used" not in page
    assert "no examination or study findings yet" in page
    assert re.search(r"[1-9]\d* history and imaging features?", page)


def test_an_earlier_version_is_shown_as_it_was_assessed(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    case_id = save_case(session, small_clinic, kb, example("l5_radiculopathy"))
    cases.save_version(
        session=session,
        actor=Actor(user_id=small_clinic.clinician_user.id, role="clinician"),
        case_id=case_id,
        case=Case.model_validate(example("common_fibular_neuropathy")),
        note_for_patient=None,
        kb=kb,
        now=TEST_NOW,
    )
    session.commit()
    sign_in(client, "dr.okafor@clinic.example")
    latest = client.get(f"/clinic/cases/{case_id}/assessment").text
    first = client.get(f"/clinic/cases/{case_id}/assessment?version=1").text
    assert "version 2 of 2" in latest and "Common fibular" in summary_of(latest)
    assert "version 1 of 2" in first and "L5 radiculopathy" in summary_of(first)
    assert f'href="/clinic/cases/{case_id}/assessment?version=2"' in first


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/clinic/cases/{case_id}/assessment?version=7", 404, "no version 7"),
        ("/clinic/cases/999999/assessment", 404, "no such case"),
        ("/clinic/cases/{case_id}/assessment?version=0", 422, "version"),
        ("/clinic/cases/{case_id}/assessment?version=99999999999", 422, "version"),
        ("/clinic/cases/{case_id}/assessment?version=two", 422, "version"),
    ],
    ids=["missing version", "missing case", "version zero", "version too large", "not a number"],
)
def test_a_missing_case_or_bad_version_is_a_clear_4xx(
    client: TestClient,
    session: Session,
    small_clinic: SmallClinic,
    kb: KnowledgeBase,
    path: str,
    status: int,
    words: str,
) -> None:
    case_id = save_case(session, small_clinic, kb, example("l5_radiculopathy"))
    sign_in(client, "dr.okafor@clinic.example")
    answer = client.get(path.format(case_id=case_id))
    assert answer.status_code == status
    assert words in answer.text


def test_patients_and_the_front_desk_may_not_read_it_and_strangers_must_sign_in(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    case_id = save_case(session, small_clinic, kb, example("l5_radiculopathy"))
    path = f"/clinic/cases/{case_id}/assessment"
    stranger = client.get(path, follow_redirects=False)
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/login")
    for email in ("ann@example.org", "desk@clinic.example"):
        sign_in(client, email)
        answer = client.get(path)
        assert answer.status_code == 403
        assert "Left leg weakness" not in answer.text
    assert reads_of(session, case_id) == 0


def test_a_version_stored_in_an_older_shape_still_opens_without_its_map(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    case_id = save_case(session, small_clinic, kb, example("l5_radiculopathy"))
    version = session.scalars(select(CaseVersion)).one()
    version.case_data = {"age": "fifty", "legs": 2}
    version.assessment = {**version.assessment, "next_tests": "not a list", "plan": None}
    session.commit()
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get(f"/clinic/cases/{case_id}/assessment")
    assert page.status_code == 200
    assert "L5 radiculopathy" in summary_of(page.text)
    assert 'id="map-heading"' not in page.text
    report = client.get(f"/clinic/cases/{case_id}/report")
    assert report.status_code == 200
    assert "could not be read with today's case model" in html.unescape(report.text)
