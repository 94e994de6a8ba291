"""The `/fhir` use-cases over people: read and search patients (staff, or the patient
themselves) and practitioners (public), and export one patient's record (`$everything`).
Never commits; every read of a patient's record is audited, as in the JSON API.
"""

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.cases import repository as cases_repository
from plexcare.cases import service as cases
from plexcare.clinic.models import Clinician
from plexcare.engine.case import Case
from plexcare.errors import NotFound
from plexcare.fhir import schedule_service
from plexcare.fhir.bundle import case_bundle
from plexcare.fhir.people import (
    PatientFacts,
    PractitionerFacts,
    patient_resource,
    practitioner_resource,
)
from plexcare.knowledge.model import KnowledgeBase
from plexcare.scheduling import changes
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.models import Appointment

PATIENT_READERS = (Role.clinician, Role.front_desk, Role.admin)
RECORD_READERS = (Role.clinician, Role.admin)


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    kind: str,
    subject: int | str,
    patient: int | None,
    now: datetime,
) -> None:
    audit.record_access(
        session=session,
        actor=actor,
        action=action,
        subject_type=kind,
        subject_id=subject,
        patient_user_id=patient,
        now=now,
    )


def patient_facts(user: User) -> PatientFacts:
    return PatientFacts(id=str(user.id), name=user.full_name, email=user.email, phone=user.phone)


def read_patient(
    *, session: Session, actor: Actor, patient_id: int, now: datetime
) -> dict[str, Any]:
    """A patient's demographics: staff, or the patient themselves (others get 404)."""
    actor.ensure_may_see_patient(patient_id)
    user = accounts_repository.user_by_id(session=session, user_id=patient_id)
    if user is None or user.role != Role.patient:
        raise NotFound("no such patient")
    _audit(session, actor, "read", "patient", user.id, user.id, now)
    return patient_resource(patient_facts(user))


def search_patients(
    *,
    session: Session,
    actor: Actor,
    name: str | None,
    email: str | None,
    limit: int,
    offset: int,
    now: datetime,
) -> tuple[list[dict[str, Any]], int]:
    """Staff search the clinic's patients; a patient's search finds only themselves."""
    query = select(User).where(User.role == Role.patient)
    if actor.is_patient:
        query = query.where(User.id == actor.user_id)
    else:
        actor.require_role(*PATIENT_READERS)
    if name:
        query = query.where(User.full_name.ilike(f"%{name}%"))
    if email:
        query = query.where(User.email == email.lower())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = list(session.scalars(query.order_by(User.id).limit(limit).offset(offset)))
    for user in page:
        _audit(session, actor, "read", "patient", user.id, user.id, now)
    return [patient_resource(patient_facts(user)) for user in page], total


def practitioner(clinician: Clinician) -> dict[str, Any]:
    return practitioner_resource(
        PractitionerFacts(
            id=str(clinician.id), name=clinician.full_name, specialty=clinician.specialty
        )
    )


def read_practitioner(*, session: Session, clinician_id: int) -> dict[str, Any]:
    return practitioner(schedule_service.clinician_or_404(session, clinician_id))


def search_practitioners(
    *, session: Session, specialty: str | None, name: str | None
) -> list[dict[str, Any]]:
    query = select(Clinician).order_by(Clinician.id)
    if specialty:
        query = query.where(Clinician.specialty == specialty)
    if name:
        query = query.where(Clinician.full_name.ilike(f"%{name}%"))
    return [practitioner(row) for row in session.scalars(query)]


def everything(
    *, session: Session, actor: Actor, patient_id: int, kb: KnowledgeBase, now: datetime
) -> list[dict[str, Any]]:
    """The patient, their appointments and each case's latest version with its assessment;
    for clinicians and administrators (the full record), every part audited."""
    actor.require_role(*RECORD_READERS)
    user = accounts_repository.user_by_id(session=session, user_id=patient_id)
    if user is None or user.role != Role.patient:
        raise NotFound("no such patient")
    _audit(session, actor, "read", "patient", user.id, user.id, now)
    resources: list[dict[str, Any]] = [patient_resource(patient_facts(user))]
    rows = session.scalars(
        scheduling_repository.appointments_query(
            patient_id=patient_id,
            clinician_id=None,
            status=None,
            starts_from=None,
            starts_before=None,
        ).order_by(Appointment.starts_at, Appointment.id)
    )
    for row in rows:
        changes.audit_read(session=session, actor=actor, appointment=row, now=now)
        resources.append(schedule_service.appointment_out(session, row))
    records, _ = cases_repository.cases(
        session=session, patient_id=patient_id, limit=1000, offset=0
    )
    issued = now.isoformat()
    for record in records:
        cases.case_for_clinician(session=session, actor=actor, case_id=record.id, now=now)
        version = cases.version_of(session=session, record=record, number=record.latest_version)
        try:
            case = Case.model_validate(version.case_data)
        except ValidationError:
            resources.append(
                {
                    "resourceType": "OperationOutcome",
                    "issue": [
                        {
                            "severity": "warning",
                            "code": "not-supported",
                            "diagnostics": f"case {record.id} version {version.number} was "
                            "written in an older form and is left out",
                        }
                    ],
                }
            )
            continue
        author = None
        if version.author_user_id is not None:
            author_clinician = session.scalar(
                select(Clinician).where(Clinician.user_id == version.author_user_id)
            )
            if author_clinician is not None:
                author = PractitionerFacts(
                    id=str(author_clinician.id),
                    name=author_clinician.full_name,
                    specialty=author_clinician.specialty,
                )
        exported = case_bundle(
            case=case,
            assessment=version.assessment,
            kb=kb,
            patient=patient_facts(user),
            practitioner=author,
            issued=issued,
        )
        for entry in exported["entry"][1:]:
            if entry["resource"]["resourceType"] == "Practitioner" and any(
                r.get("resourceType") == "Practitioner" and r.get("id") == entry["resource"]["id"]
                for r in resources
            ):
                continue
            resources.append(entry["resource"])
    return resources
