"""The patient's home (`/me`): what is coming up, what their self-checks advised, and the
services they can use. Only the signed-in patient's own records, each read audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.clinic import repository as clinic_repository
from plexcare.clinic.models import AppointmentType, Clinician
from plexcare.config import get_settings
from plexcare.engine.triage import URGENCY_HEADLINES
from plexcare.portal.layout import ROLE_LINKS, PortalPage, when_label
from plexcare.portal.rendering import VisitDep, gate, render
from plexcare.scheduling import changes
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.pages.views import AppointmentRow, appointment_row
from plexcare.scheduling.policy import AppointmentStatus
from plexcare.triage.models import TriageRecord
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

SELF_CHECKS_SHOWN = 3
"""The latest few self-checks: enough to see what prompted a booking, not a history page."""


@dataclass(frozen=True)
class SelfCheckRow:
    when: str
    advice: str


@dataclass(frozen=True, kw_only=True)
class PatientHomePage(PortalPage):
    upcoming: tuple[AppointmentRow, ...]
    self_checks: tuple[SelfCheckRow, ...]
    services: tuple[tuple[str, str], ...]


def latest_self_checks(
    *, session: Session, actor: Actor, patient_id: int, now: datetime
) -> Sequence[TriageRecord]:
    """The patient's latest self-check results, newest first; each read is audited."""
    rows = session.scalars(
        select(TriageRecord)
        .where(TriageRecord.patient_id == patient_id)
        .order_by(TriageRecord.created_at.desc(), TriageRecord.id.desc())
        .limit(SELF_CHECKS_SHOWN)
    ).all()
    for row in rows:
        audit.record_access(
            session=session,
            actor=actor,
            action="read",
            subject_type="triage_record",
            subject_id=row.id,
            patient_user_id=patient_id,
            now=now,
        )
    return rows


def visit_names(session: Session) -> tuple[Mapping[int, Clinician], Mapping[int, AppointmentType]]:
    """Clinicians and visit types by id, to name them on an appointment row."""
    clinicians, _total = clinic_repository.clinicians(
        session=session, specialty=None, limit=1000, offset=0
    )
    kinds = clinic_repository.appointment_types(session=session)
    return {c.id: c for c in clinicians}, {k.id: k for k in kinds}


@router.get("/me", name="patient_home")
def patient_home(request: Request, visit: VisitDep, session: DbSession, now: Now) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    patient_id = visit.actor.user_id
    assert patient_id is not None  # the gate let a signed-in patient through
    query = scheduling_repository.appointments_query(
        patient_id=patient_id,
        clinician_id=None,
        status=AppointmentStatus.BOOKED.value,
        starts_from=now,
        starts_before=None,
    )
    rows, _total = scheduling_repository.page_of_appointments(
        session=session, query=query, limit=20, offset=0
    )
    clinicians, kinds = visit_names(session)
    zone = get_settings().clinic_zone
    upcoming = []
    for row in rows:
        changes.audit_read(session=session, actor=visit.actor, appointment=row, now=now)
        upcoming.append(
            appointment_row(row, clinicians=clinicians, kinds=kinds, zone=zone, now=now)
        )
    checks = tuple(
        SelfCheckRow(
            when=when_label(record.created_at, zone),
            advice=URGENCY_HEADLINES.get(record.urgency, record.urgency),
        )
        for record in latest_self_checks(
            session=session, actor=visit.actor, patient_id=patient_id, now=now
        )
    )
    page = PatientHomePage(
        frame=visit.frame(title="My home", current="/me"),
        upcoming=tuple(upcoming),
        self_checks=checks,
        services=tuple(link for link in ROLE_LINKS[Role.patient.value] if link[1] != "/me"),
    )
    session.commit()
    return render(request, "workspace/patient_home.html", page, visit)
