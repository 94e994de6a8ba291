"""The clinician's worklist (`/clinic`): today's patients, the cases still open, and a patient
search. A clinician signs in to this page.

Today's patients are the signed-in clinician's own appointments on the clinic's calendar day;
an open case is one whose latest version is not signed off. The search finds patient accounts
by name or e-mail address. Appointment reads are audited as the patient's own page does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.cases import sign_off
from plexcare.cases.models import CaseVersion, ClinicalCase
from plexcare.clinic.models import Clinician
from plexcare.config import get_settings
from plexcare.portal.layout import PortalPage, clock_label, when_label
from plexcare.portal.rendering import VisitDep, gate, render
from plexcare.scheduling import changes
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.pages.views import STATUS_LABELS
from plexcare.scheduling.policy import AppointmentStatus
from plexcare.web.dependencies import DbSession, Now
from plexcare.workspace.patient_home import visit_names

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

SEARCH_RESULTS = 25
OPEN_CASES_SHOWN = 30
QUERY_LENGTH = 100


@dataclass(frozen=True)
class TodayRow:
    time: str
    patient_id: int
    patient: str
    visit: str
    status: str


@dataclass(frozen=True)
class OpenCaseRow:
    case_id: int
    title: str
    patient_id: int
    patient: str
    version: int
    updated: str


@dataclass(frozen=True)
class PatientRow:
    patient_id: int
    name: str
    email: str


@dataclass(frozen=True, kw_only=True)
class WorklistPage(PortalPage):
    day: str
    clinician: str
    today: tuple[TodayRow, ...]
    open_cases: tuple[OpenCaseRow, ...]
    query: str
    found: tuple[PatientRow, ...] | None


def find_patients(*, session: Session, query: str) -> Sequence[User]:
    """Patient accounts whose name or e-mail address contains the words typed (each word
    must appear, in any order), by name."""
    words = [word for word in query.lower().split() if word][:5]
    statement = select(User).where(User.role == Role.patient.value)
    for word in words:
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        statement = statement.where(
            or_(func.lower(User.full_name).like(pattern), func.lower(User.email).like(pattern))
        )
    return session.scalars(statement.order_by(User.full_name, User.id).limit(SEARCH_RESULTS)).all()


def open_cases(*, session: Session) -> list[tuple[ClinicalCase, CaseVersion]]:
    """Cases whose latest version is not signed off, latest change first."""
    rows = session.execute(
        select(ClinicalCase, CaseVersion)
        .join(
            CaseVersion,
            (CaseVersion.case_id == ClinicalCase.id)
            & (CaseVersion.number == ClinicalCase.latest_version),
        )
        .order_by(ClinicalCase.updated_at.desc(), ClinicalCase.id.desc())
        .limit(OPEN_CASES_SHOWN * 4)
    ).all()
    signed = sign_off.signed_version_ids(session=session, version_ids=[v.id for _c, v in rows])
    return [(record, version) for record, version in rows if version.id not in signed][
        :OPEN_CASES_SHOWN
    ]


@router.get("/clinic", name="worklist")
def worklist(
    request: Request, visit: VisitDep, session: DbSession, now: Now, q: str = ""
) -> Response:
    denied = gate(request, visit, Role.clinician)
    if denied is not None:
        return denied
    zone = get_settings().clinic_zone
    local_day = now.astimezone(zone).date()
    starts = datetime.combine(local_day, time(0), tzinfo=zone)
    ends = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=zone)
    me = session.scalar(select(Clinician).where(Clinician.user_id == visit.actor.user_id))
    today: list[TodayRow] = []
    if me is not None:
        query = scheduling_repository.appointments_query(
            patient_id=None, clinician_id=me.id, status=None, starts_from=starts, starts_before=ends
        )
        rows, _total = scheduling_repository.page_of_appointments(
            session=session, query=query, limit=100, offset=0
        )
        _clinicians, kinds = visit_names(session)
        for row in rows:
            if row.status == AppointmentStatus.CANCELLED.value:
                continue
            changes.audit_read(session=session, actor=visit.actor, appointment=row, now=now)
            patient = session.get(User, row.patient_id)
            kind = kinds.get(row.appointment_type_id)
            today.append(
                TodayRow(
                    time=clock_label(row.starts_at, zone),
                    patient_id=row.patient_id,
                    patient=patient.full_name if patient is not None else "a patient",
                    visit=kind.name if kind is not None else "appointment",
                    status=STATUS_LABELS.get(row.status, row.status),
                )
            )
    still_open = open_cases(session=session)
    patients = {
        user.id: user.full_name
        for user in session.scalars(
            select(User).where(User.id.in_([record.patient_id for record, _v in still_open]))
        )
    }
    text = q.strip()[:QUERY_LENGTH]
    found = None
    if text:
        found = tuple(
            PatientRow(user.id, user.full_name, user.email)
            for user in find_patients(session=session, query=text)
        )
    page = WorklistPage(
        frame=visit.frame(title="Worklist", current="/clinic"),
        day=f"{local_day:%A} {local_day.day} {local_day:%B %Y}",
        clinician=me.full_name if me is not None else "",
        today=tuple(today),
        open_cases=tuple(
            OpenCaseRow(
                case_id=record.id,
                title=record.title,
                patient_id=record.patient_id,
                patient=patients.get(record.patient_id, "a patient"),
                version=version.number,
                updated=when_label(record.updated_at, zone),
            )
            for record, version in still_open
        ),
        query=text,
        found=found,
    )
    session.commit()
    return render(request, "workspace/worklist.html", page, visit)
