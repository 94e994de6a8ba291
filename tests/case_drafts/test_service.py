"""Case drafts and SMART launch states, on SQLite and PostgreSQL: a draft is its clinician's
alone and only while it lives; a launch state is spent once."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.audit.models import AuditEvent
from plexcare.case_drafts import service as drafts
from plexcare.errors import Forbidden, NotFound
from tests.conftest_db import TEST_NOW, SmallClinic

EHR = "https://ehr.example.org/fhir"


def clinician(clinic: SmallClinic) -> Actor:
    return Actor(user_id=clinic.clinician_user.id, role="clinician")


def test_a_draft_opens_for_its_clinician_only_and_until_it_expires(
    session: Session, small_clinic: SmallClinic
) -> None:
    mine = clinician(small_clinic)
    draft = drafts.keep_draft(
        session=session,
        actor=mine,
        case_data={"age": 50, "sex": "male"},
        source=EHR,
        ehr_patient="p-1",
        patient_name="Pat",
        now=TEST_NOW,
    )
    assert len(draft.id) >= 32
    opened = drafts.open_draft(session=session, actor=mine, draft_id=draft.id, now=TEST_NOW)
    assert opened.case_data == {"age": 50, "sex": "male"}
    assert drafts.as_case_text(opened) == "age: 50\nsex: male\n"
    someone_else = Actor(user_id=small_clinic.admin.id, role="clinician")
    with pytest.raises(NotFound):
        drafts.open_draft(session=session, actor=someone_else, draft_id=draft.id, now=TEST_NOW)
    with pytest.raises(NotFound):
        drafts.open_draft(session=session, actor=mine, draft_id=draft.id, now=draft.expires_at)
    with pytest.raises(Forbidden):
        drafts.open_draft(
            session=session,
            actor=Actor(user_id=small_clinic.front_desk.id, role="front_desk"),
            draft_id=draft.id,
            now=TEST_NOW,
        )
    session.commit()
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "case_draft")
    ).all()
    assert sorted(actions) == ["create", "read"]


def test_a_launch_state_is_spent_once(session: Session, small_clinic: SmallClinic) -> None:
    mine = clinician(small_clinic)
    launch = drafts.start_launch(
        session=session, actor=mine, issuer=EHR, token_endpoint=f"{EHR}/token", now=TEST_NOW
    )
    session.commit()
    finished = drafts.finish_launch(session=session, actor=mine, state=launch.state, now=TEST_NOW)
    assert finished.issuer == EHR
    session.commit()
    with pytest.raises(NotFound):
        drafts.finish_launch(session=session, actor=mine, state=launch.state, now=TEST_NOW)
