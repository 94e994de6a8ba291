"""The follow-up page: a clinician records a visit's outcome scores, sees each scale plotted
over time with a table of the same readings, gets typos back beside their field, and a reload
never records the visit twice. Reads and writes are audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit.models import AuditEvent
from plexcare.cases import service as cases
from plexcare.engine import Case
from plexcare.followup import service as followup
from plexcare.followup.models import FollowUpVisit, OutcomeScore
from plexcare.knowledge.model import KnowledgeBase
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.portal.forms import ON_SQLITE, csrf_token, sign_in

pytestmark = ON_SQLITE

MRC_ITEMS = (
    "hip_flexion_left",
    "hip_flexion_right",
    "knee_extension_left",
    "knee_extension_right",
    "ankle_dorsiflexion_left",
    "ankle_dorsiflexion_right",
)


def path_of(clinic: SmallClinic) -> str:
    return f"/clinic/patients/{clinic.patient_a.id}/follow-up"


def count(session: Session, model: type[FollowUpVisit] | type[OutcomeScore]) -> int:
    session.expire_all()
    found = int(session.scalar(select(func.count()).select_from(model)) or 0)
    session.rollback()  # SQLite: the app needs the connection this read holds
    return found


def test_a_visit_is_recorded_and_the_page_reloads_without_a_second_one(
    client: TestClient, session: Session, small_clinic: SmallClinic
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    path = path_of(small_clinic)
    token = csrf_token(client, path)
    grades = {f"mrc_sum_lower_limb.{item}": "4" for item in MRC_ITEMS}
    answer = client.post(
        path,
        data={
            "csrf_token": token,
            "seen_on": "2026-03-02",
            "pain_numeric_rating": "6",
            "onls_legs": "2",
            "ten_metre_walk": "12.5",
            **grades,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == path
    page = client.get(path)
    assert page.status_code == 200
    assert count(session, FollowUpVisit) == 1
    assert count(session, OutcomeScore) == 4
    total = session.scalars(
        select(OutcomeScore.value).where(OutcomeScore.scale_id == "mrc_sum_lower_limb")
    ).one()
    assert total == 24
    assert "MRC sum (legs): 24 points" in page.text
    assert "12.5 seconds" in page.text
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type.in_(["followup_visit", "followup"]))
    ).all()
    assert sorted(actions) == ["create", "read", "read"]


def test_scores_over_time_are_plotted_with_a_table_of_the_same_readings(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    clinician = Actor(user_id=small_clinic.clinician_user.id, role="clinician")
    for weeks_ago, pain in ((8, 8), (4, 6), (0, 3)):
        followup.record_visit(
            session=session,
            actor=clinician,
            patient_id=small_clinic.patient_a.id,
            seen_at=TEST_NOW - timedelta(weeks=weeks_ago, hours=1),
            case_id=None,
            note="",
            scores=[followup.ScoreEntry("pain_numeric_rating", pain, None)],
            kb=kb,
            now=TEST_NOW,
        )
    session.commit()
    sign_in(client, "dr.okafor@clinic.example")
    page = client.get(path_of(small_clinic)).text
    chart = re.search(r'<svg class="outcome-chart".*?</svg>', page, re.S)
    assert chart is not None
    assert chart.group(0).count("<circle") == 3 and "<polyline" in chart.group(0)
    assert 'role="img"' in chart.group(0)
    assert "Pain numeric rating scale over time" in chart.group(0)
    table = re.search(r'<table class="outcome-table">.*?</table>', page, re.S)
    assert table is not None
    for value in ("8 points", "6 points", "3 points"):
        assert value in table.group(0)
    assert "Better by 5 points" in page
    assert "at least the change patients notice" in page


@pytest.mark.parametrize(
    ("fields", "error_id", "words"),
    [
        ({"pain_numeric_rating": "14"}, "error-pain_numeric_rating", "runs from 0 to 10"),
        ({"pain_numeric_rating": "a lot"}, "error-pain_numeric_rating", "as a number"),
        ({"onls_legs": "2.5"}, "error-onls_legs", "whole numbers only"),
        (
            {"mrc_sum_lower_limb.hip_flexion_left": "4"},
            "error-mrc_sum_lower_limb",
            "needs a grade for",
        ),
        (
            {f"mrc_sum_lower_limb.{item}": "6" for item in MRC_ITEMS},
            "error-mrc_sum_lower_limb.hip_flexion_left",
            "graded 0",
        ),
        ({"seen_on": "2026-03-09", "pain_numeric_rating": "4"}, "error-seen_on", "future"),
        ({"seen_on": "yesterday", "pain_numeric_rating": "4"}, "error-seen_on", "date"),
        ({}, "error-pain_numeric_rating", "at least one score"),
    ],
    ids=[
        "out of range",
        "not a number",
        "not whole",
        "missing items",
        "item too high",
        "future",
        "bad date",
        "nothing",
    ],
)
def test_a_typo_comes_back_beside_its_field_and_nothing_is_stored(
    client: TestClient,
    session: Session,
    small_clinic: SmallClinic,
    fields: dict[str, str],
    error_id: str,
    words: str,
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    path = path_of(small_clinic)
    token = csrf_token(client, path)
    answer = client.post(path, data={"csrf_token": token, **fields})
    assert answer.status_code == 422
    assert f'id="{error_id}"' in answer.text
    assert words in answer.text
    assert count(session, FollowUpVisit) == 0


def test_only_clinicians_record_and_a_forged_form_is_refused(
    client: TestClient, session: Session, small_clinic: SmallClinic
) -> None:
    path = path_of(small_clinic)
    stranger = client.get(path, follow_redirects=False)
    assert stranger.status_code == 303
    sign_in(client, "ann@example.org")
    assert client.get(path).status_code == 403
    sign_in(client, "dr.okafor@clinic.example")
    forged = client.post(path, data={"csrf_token": "forged", "pain_numeric_rating": "3"})
    assert forged.status_code == 403
    assert count(session, FollowUpVisit) == 0


def test_a_clinician_or_unknown_id_is_not_a_patient(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    for patient_id in (small_clinic.clinician_user.id, 987654):
        answer = client.get(f"/clinic/patients/{patient_id}/follow-up")
        assert answer.status_code == 404
        assert "no such patient" in answer.text
        assert "Patient not found" in answer.text


def test_a_visit_is_linked_to_one_of_the_patients_own_cases_only(
    client: TestClient, session: Session, small_clinic: SmallClinic, kb: KnowledgeBase
) -> None:
    clinician = Actor(user_id=small_clinic.clinician_user.id, role="clinician")
    own, _version = cases.create_case(
        session=session,
        actor=clinician,
        patient_id=small_clinic.patient_a.id,
        title="Left foot drop",
        case=Case(age=50, sex="female"),
        note_for_patient="",
        kb=kb,
        now=TEST_NOW,
    )
    other, _version = cases.create_case(
        session=session,
        actor=clinician,
        patient_id=small_clinic.patient_b.id,
        title="Bob's thigh weakness",
        case=Case(age=60, sex="male"),
        note_for_patient="",
        kb=kb,
        now=TEST_NOW,
    )
    session.commit()
    own_id, other_id = own.id, other.id
    sign_in(client, "dr.okafor@clinic.example")
    path = path_of(small_clinic)
    page = client.get(path).text
    assert "Left foot drop" in page and "Bob&#39;s thigh weakness" not in page
    token = csrf_token(client, path)
    refused = client.post(
        path, data={"csrf_token": token, "case_id": str(other_id), "pain_numeric_rating": "3"}
    )
    assert refused.status_code == 422
    assert 'id="error-case_id"' in refused.text
    assert count(session, FollowUpVisit) == 0
    saved = client.post(
        path,
        data={"csrf_token": token, "case_id": str(own_id), "pain_numeric_rating": "3"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    session.expire_all()
    assert session.scalars(select(FollowUpVisit.case_id)).one() == own_id
