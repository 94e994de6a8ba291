"""Case use-cases: create, save a new version, read, compare, and the patient's plan view.
Never commits.

Each save runs the engine (`assess`) on the case as entered and stores the answer next to it,
with the knowledge-base version that produced it; versions are never changed afterwards, so
the record shows what the clinician saw when they decided. Clinicians write; clinicians and
administrators read the full record; the patient (and the front desk, to book what it asks
for) reads only the plain-language plan. Every access is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.cases import repository
from plexcare.cases.comparison import VersionComparison, compare_versions
from plexcare.cases.models import CaseVersion, ClinicalCase
from plexcare.cases.patient_plan import PatientPlan, patient_plan, urgency_of
from plexcare.engine import Case, assess
from plexcare.engine.case_names import CaseError
from plexcare.errors import Conflict, Forbidden, InvalidInput, NotFound
from plexcare.knowledge.model import KnowledgeBase

CLINICAL_READERS = (Role.clinician, Role.admin)


def _ensure_patient(*, session: Session, patient_id: int) -> None:
    user = accounts_repository.user_by_id(session=session, user_id=patient_id)
    if user is None or user.role != Role.patient:
        raise NotFound("no such patient", field="patient_id")


def _new_version(
    *,
    session: Session,
    actor: Actor,
    record: ClinicalCase,
    case: Case,
    note_for_patient: str,
    kb: KnowledgeBase,
    now: datetime,
) -> CaseVersion:
    try:
        assessment = assess(case, kb)
    except CaseError as error:
        raise InvalidInput(error.message, field=f"case.{error.field}") from error
    answer = assessment.to_dict()
    number = record.latest_version + 1
    version = CaseVersion(
        case_id=record.id,
        number=number,
        case_data=case.model_dump(mode="json"),
        assessment=answer,
        kb_version=assessment.kb_version,
        leading_localization=assessment.leading_localization,
        leading_cause=assessment.leading_cause,
        urgency=urgency_of(answer),
        note_for_patient=note_for_patient,
        author_user_id=actor.user_id,
        created_at=now,
    )
    session.add(version)
    record.latest_version = number
    record.updated_at = now
    try:
        session.flush()
    except IntegrityError as error:
        raise Conflict(
            "someone saved this case at the same moment; reload it and save again"
        ) from error
    audit.record_access(
        session=session,
        actor=actor,
        action="create" if number == 1 else "update",
        subject_type="case",
        subject_id=record.id,
        patient_user_id=record.patient_id,
        now=now,
    )
    return version


def create_case(
    *,
    session: Session,
    actor: Actor,
    patient_id: int,
    title: str,
    case: Case,
    note_for_patient: str,
    kb: KnowledgeBase,
    now: datetime,
) -> tuple[ClinicalCase, CaseVersion]:
    actor.require_role(Role.clinician)
    _ensure_patient(session=session, patient_id=patient_id)
    record = ClinicalCase(
        patient_id=patient_id,
        title=title,
        created_by_user_id=actor.user_id,
        latest_version=0,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    session.flush()
    version = _new_version(
        session=session,
        actor=actor,
        record=record,
        case=case,
        note_for_patient=note_for_patient,
        kb=kb,
        now=now,
    )
    return record, version


def save_version(
    *,
    session: Session,
    actor: Actor,
    case_id: int,
    case: Case,
    note_for_patient: str | None,
    kb: KnowledgeBase,
    now: datetime,
) -> tuple[ClinicalCase, CaseVersion]:
    """A new version on top of the latest; earlier versions stay as they were.

    Without a new note for the patient, the latest version's note carries over: re-examining a
    patient must not silently erase what the clinician told them.
    """
    actor.require_role(Role.clinician)
    record = _case(session=session, case_id=case_id)
    if note_for_patient is None:
        latest = repository.version(session=session, case_id=case_id, number=record.latest_version)
        note_for_patient = latest.note_for_patient if latest is not None else ""
    version = _new_version(
        session=session,
        actor=actor,
        record=record,
        case=case,
        note_for_patient=note_for_patient,
        kb=kb,
        now=now,
    )
    return record, version


def case_for_clinician(
    *, session: Session, actor: Actor, case_id: int, now: datetime
) -> ClinicalCase:
    """The full record, for clinicians and administrators only (audited)."""
    actor.require_role(*CLINICAL_READERS)
    record = _case(session=session, case_id=case_id)
    audit.record_access(
        session=session,
        actor=actor,
        action="read",
        subject_type="case",
        subject_id=record.id,
        patient_user_id=record.patient_id,
        now=now,
    )
    return record


def _case(*, session: Session, case_id: int) -> ClinicalCase:
    record = repository.clinical_case(session=session, case_id=case_id)
    if record is None:
        raise NotFound("no such case")
    return record


def version_of(
    *, session: Session, record: ClinicalCase, number: int, field: str = "number"
) -> CaseVersion:
    """The numbered version; a missing one is NotFound naming the request's `field`."""
    version = repository.version(session=session, case_id=record.id, number=number)
    if version is None:
        raise NotFound(f"case {record.id} has no version {number}", field=field)
    return version


def versions_of(*, session: Session, record: ClinicalCase) -> Sequence[CaseVersion]:
    return repository.versions(session=session, case_id=record.id)


def compare(
    *, session: Session, record: ClinicalCase, first: int, second: int
) -> tuple[CaseVersion, CaseVersion, VersionComparison]:
    before = version_of(session=session, record=record, number=first, field="from")
    after = version_of(session=session, record=record, number=second, field="to")
    comparison = compare_versions(
        case_before=before.case_data,
        case_after=after.case_data,
        assessment_before=before.assessment,
        assessment_after=after.assessment,
    )
    return before, after, comparison


def list_cases(
    *, session: Session, actor: Actor, patient_id: int | None, limit: int, offset: int
) -> tuple[Sequence[ClinicalCase], int]:
    """Patients list their own cases; clinicians and administrators any patient's."""
    if actor.is_patient:
        patient_id = actor.user_id
    elif actor.role not in CLINICAL_READERS:
        raise Forbidden("your role may not do this")
    return repository.cases(session=session, patient_id=patient_id, limit=limit, offset=offset)


def plan_for_patient(
    *, session: Session, actor: Actor, case_id: int, now: datetime
) -> tuple[ClinicalCase, CaseVersion, PatientPlan]:
    """The latest version's plan in plain words; another patient gets NotFound."""
    record = _case(session=session, case_id=case_id)
    actor.ensure_may_see_patient(record.patient_id)
    version = version_of(session=session, record=record, number=record.latest_version)
    audit.record_access(
        session=session,
        actor=actor,
        action="read",
        subject_type="case_plan",
        subject_id=record.id,
        patient_user_id=record.patient_id,
        now=now,
    )
    return record, version, patient_plan(version.assessment)
