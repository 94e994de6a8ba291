"""Signing off a case version on SQLite and PostgreSQL: only the latest, only once, who and
when recorded and audited; reopening is audited and changes no version."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.audit.models import AuditEvent
from plexcare.cases import service as cases
from plexcare.cases import sign_off
from plexcare.cases.models import CaseSignOff, CaseVersion, ClinicalCase
from plexcare.engine import Case
from plexcare.errors import Conflict, Forbidden, NotFound
from plexcare.knowledge.loader import knowledge_base
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.workspace.clinic_day import saved_case, staff


def _second_version(session: Session, clinic: SmallClinic, record: ClinicalCase) -> None:
    cases.save_version(
        session=session,
        actor=staff(clinic.clinician_user),
        case_id=record.id,
        case=Case.model_validate({"age": 59, "sex": "male"}),
        note_for_patient=None,
        kb=knowledge_base(),
        now=TEST_NOW,
    )
    session.commit()


def test_the_latest_version_is_signed_once_with_who_and_when(
    session: Session, small_clinic: SmallClinic
) -> None:
    record = saved_case(session, small_clinic, small_clinic.patient_a)
    doctor = staff(small_clinic.clinician_user)
    sign_off.sign_off(session=session, actor=doctor, record=record, number=1, now=TEST_NOW)
    session.commit()
    version = session.scalars(select(CaseVersion)).one()
    signed = sign_off.sign_off_of(session=session, version=version)
    assert signed is not None
    assert (signed.version_number, signed.by, signed.at) == (1, "dr.okafor", TEST_NOW)
    audited = session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "case_sign_off")
    ).one()
    assert (audited.action, audited.patient_user_id) == ("update", small_clinic.patient_a.id)
    with pytest.raises(Conflict, match="already signed off"):
        sign_off.sign_off(session=session, actor=doctor, record=record, number=1, now=TEST_NOW)
    session.rollback()
    assert len(session.scalars(select(CaseSignOff)).all()) == 1


def test_an_earlier_or_missing_version_is_refused(
    session: Session, small_clinic: SmallClinic
) -> None:
    record = saved_case(session, small_clinic, small_clinic.patient_a)
    _second_version(session, small_clinic, record)
    doctor = staff(small_clinic.clinician_user)
    with pytest.raises(Conflict, match="not the latest"):
        sign_off.sign_off(session=session, actor=doctor, record=record, number=1, now=TEST_NOW)
    with pytest.raises(NotFound):
        sign_off.sign_off(session=session, actor=doctor, record=record, number=7, now=TEST_NOW)
    assert session.scalars(select(CaseSignOff)).all() == []


def test_only_a_clinician_signs_off_or_reopens(session: Session, small_clinic: SmallClinic) -> None:
    record = saved_case(session, small_clinic, small_clinic.patient_a)
    admin = staff(small_clinic.admin)
    with pytest.raises(Forbidden):
        sign_off.sign_off(session=session, actor=admin, record=record, number=1, now=TEST_NOW)
    with pytest.raises(Forbidden):
        sign_off.record_reopening(session=session, actor=admin, record=record, now=TEST_NOW)


def test_reopening_is_audited_and_changes_no_version(
    session: Session, small_clinic: SmallClinic
) -> None:
    record = saved_case(session, small_clinic, small_clinic.patient_a)
    doctor = staff(small_clinic.clinician_user)
    sign_off.sign_off(session=session, actor=doctor, record=record, number=1, now=TEST_NOW)
    sign_off.record_reopening(session=session, actor=doctor, record=record, now=TEST_NOW)
    session.commit()
    assert [v.number for v in session.scalars(select(CaseVersion))] == [1]
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "case_reopened")
    ).all()
    assert actions == ["update"]
    versions = cases.versions_of(session=session, record=record)
    assert set(sign_off.sign_offs_of(session=session, versions=versions)) == {1}
