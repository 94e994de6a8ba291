"""Case endpoints: clinicians create and version cases, compare versions; patients read
their plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.cases import service
from plexcare.cases.comparison import VersionComparison
from plexcare.cases.models import CaseVersion, ClinicalCase
from plexcare.cases.patient_plan import PatientPlan
from plexcare.cases.schemas import (
    CaseComparisonOut,
    CaseCreate,
    CaseOut,
    CasePage,
    CaseSummary,
    CaseUpdate,
    CaseVersionOut,
    CaseVersionSummary,
    FieldChange,
    LeaderChange,
    PatientFollowUp,
    PatientPlanItem,
    PatientPlanOut,
)
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.web.dependencies import DbSession, Now, Paging, SignedIn, require_roles

router = APIRouter(prefix="/api/v1", tags=["cases"])
Clinician = Annotated[Actor, Depends(require_roles(Role.clinician))]
ClinicalReader = Annotated[Actor, Depends(require_roles(Role.clinician, Role.admin))]
CaseListReader = Annotated[Actor, Depends(require_roles(Role.patient, Role.clinician, Role.admin))]
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]


def _case_out(record: ClinicalCase, version: CaseVersion) -> CaseOut:
    return CaseOut(
        id=record.id,
        patient_id=record.patient_id,
        title=record.title,
        latest_version=record.latest_version,
        created_at=record.created_at,
        updated_at=record.updated_at,
        version=CaseVersionOut.model_validate(version),
    )


@router.post("/cases", response_model=CaseOut, status_code=status.HTTP_201_CREATED)
def create_case(
    body: CaseCreate, actor: Clinician, session: DbSession, now: Now, kb: Knowledge
) -> CaseOut:
    """Clinician: record a patient's case; the engine's assessment is stored with it."""
    record, version = service.create_case(
        session=session,
        actor=actor,
        patient_id=body.patient_id,
        title=body.title,
        case=body.case,
        note_for_patient=body.note_for_patient,
        kb=kb,
        now=now,
    )
    answer = _case_out(record, version)
    session.commit()
    return answer


@router.get("/cases", response_model=CasePage)
def list_cases(
    actor: CaseListReader,
    session: DbSession,
    page: Paging,
    patient_id: Annotated[int | None, Query()] = None,
) -> CasePage:
    """Patients see the list of their own cases; clinicians any patient's."""
    rows, total = service.list_cases(
        session=session,
        actor=actor,
        patient_id=patient_id,
        limit=page.limit,
        offset=page.offset,
    )
    return CasePage(
        items=[CaseSummary.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(case_id: int, actor: ClinicalReader, session: DbSession, now: Now) -> CaseOut:
    record = service.case_for_clinician(session=session, actor=actor, case_id=case_id, now=now)
    version = service.version_of(session=session, record=record, number=record.latest_version)
    answer = _case_out(record, version)
    session.commit()
    return answer


@router.post("/cases/{case_id}/versions", response_model=CaseOut, status_code=201)
def save_case_version(
    case_id: int, body: CaseUpdate, actor: Clinician, session: DbSession, now: Now, kb: Knowledge
) -> CaseOut:
    """Clinician: save the case again; a new immutable version with a fresh assessment."""
    record, version = service.save_version(
        session=session,
        actor=actor,
        case_id=case_id,
        case=body.case,
        note_for_patient=body.note_for_patient,
        kb=kb,
        now=now,
    )
    answer = _case_out(record, version)
    session.commit()
    return answer


@router.get("/cases/{case_id}/versions", response_model=list[CaseVersionSummary])
def list_case_versions(
    case_id: int, actor: ClinicalReader, session: DbSession, now: Now
) -> list[CaseVersionSummary]:
    record = service.case_for_clinician(session=session, actor=actor, case_id=case_id, now=now)
    answer = [
        CaseVersionSummary.model_validate(row)
        for row in service.versions_of(session=session, record=record)
    ]
    session.commit()
    return answer


@router.get("/cases/{case_id}/versions/{number}", response_model=CaseVersionOut)
def get_case_version(
    case_id: int, number: int, actor: ClinicalReader, session: DbSession, now: Now
) -> CaseVersionOut:
    record = service.case_for_clinician(session=session, actor=actor, case_id=case_id, now=now)
    answer = CaseVersionOut.model_validate(
        service.version_of(session=session, record=record, number=number)
    )
    session.commit()
    return answer


def _comparison_out(
    record: ClinicalCase, before: CaseVersion, after: CaseVersion, found: VersionComparison
) -> CaseComparisonOut:
    def leader(change: object) -> LeaderChange:
        return LeaderChange.model_validate(change, from_attributes=True)

    return CaseComparisonOut(
        case_id=record.id,
        from_version=before.number,
        to_version=after.number,
        kb_version_before=before.kb_version,
        kb_version_after=after.kb_version,
        changed_fields=[
            FieldChange(field=item.field, before=item.before, after=item.after)
            for item in found.changed_fields
        ],
        leading_localization=leader(found.leading_localization),
        leading_cause=leader(found.leading_cause),
    )


@router.get("/cases/{case_id}/compare", response_model=CaseComparisonOut)
def compare_case_versions(
    case_id: int,
    actor: ClinicalReader,
    session: DbSession,
    now: Now,
    from_version: Annotated[int, Query(alias="from", ge=1)] = 1,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> CaseComparisonOut:
    """What changed between two versions (default: the first and the latest)."""
    record = service.case_for_clinician(session=session, actor=actor, case_id=case_id, now=now)
    before, after, found = service.compare(
        session=session,
        record=record,
        first=from_version,
        second=to_version or record.latest_version,
    )
    answer = _comparison_out(record, before, after, found)
    session.commit()
    return answer


def _plan_out(record: ClinicalCase, version: CaseVersion, plan: PatientPlan) -> PatientPlanOut:
    return PatientPlanOut(
        case_id=record.id,
        version=version.number,
        updated_at=version.created_at,
        urgency=plan.urgency,
        what_to_do_now=plan.what_to_do_now,
        whom_to_see=list(plan.whom_to_see),
        plan=[
            PatientPlanItem(group=line.group, name=line.name, what_it_is=line.what_it_is)
            for line in plan.plan
        ],
        follow_up=[PatientFollowUp(when=line.when, what=line.what) for line in plan.follow_up],
        note_from_your_clinician=version.note_for_patient,
    )


@router.get("/cases/{case_id}/plan", response_model=PatientPlanOut)
def get_patient_plan(case_id: int, actor: SignedIn, session: DbSession, now: Now) -> PatientPlanOut:
    """The plan written for the patient: how soon, whom to see, what is planned."""
    record, version, plan = service.plan_for_patient(
        session=session, actor=actor, case_id=case_id, now=now
    )
    answer = _plan_out(record, version, plan)
    session.commit()
    return answer
