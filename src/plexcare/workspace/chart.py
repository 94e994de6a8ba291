"""A patient's chart (`/clinic/patients/{id}`): their cases with every version and what changed
between versions, sign-offs, follow-up visits and appointments, on one page.

Clinicians only. Opening the chart is written to the audit log, and so is each record it
shows (each case, the follow-up record, each appointment), by the services that read them.
The differences between versions are named in the form's clinical words, never by ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.cases import case_form, sign_off
from plexcare.cases import repository as cases_repository
from plexcare.cases import service as cases
from plexcare.cases.comparison import FieldChange, compare_versions
from plexcare.cases.models import CaseVersion
from plexcare.config import get_settings
from plexcare.followup import service as followup
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal.layout import PortalPage, when_label
from plexcare.portal.rendering import VisitDep, gate, message, render
from plexcare.scheduling import changes
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling.pages.views import AppointmentRow, appointment_row
from plexcare.web.dependencies import DbSession, Now
from plexcare.workspace.patient_home import visit_names

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]

CASES_SHOWN = 50
CHANGES_SHOWN = 12
"""Changes listed under a version; any more are counted (the API's comparison has them all)."""


@dataclass(frozen=True)
class ChangeLine:
    what: str
    before: str
    after: str


@dataclass(frozen=True)
class VersionRow:
    number: int
    saved: str
    author: str
    leading_site: str
    leading_cause: str
    signed: str
    changes: tuple[ChangeLine, ...]
    more_changes: int
    moved: str


@dataclass(frozen=True)
class CaseBlock:
    case_id: int
    title: str
    latest: int
    signed_off: bool
    versions: tuple[VersionRow, ...]


@dataclass(frozen=True)
class VisitRow:
    when: str
    note: str
    scores: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ChartPage(PortalPage):
    patient_id: int
    name: str
    email: str
    phone: str
    cases: tuple[CaseBlock, ...]
    visits: tuple[VisitRow, ...]
    appointments: tuple[AppointmentRow, ...]


def _shown(value: Any) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("_", " ")


def _leader(answer: Mapping[str, Any], part: str, key: str) -> str:
    ranked = answer.get(part)
    if not isinstance(ranked, list) or not ranked or not isinstance(ranked[0], dict):
        return ""
    top = ranked[0]
    probability = top.get("probability")
    share = f" ({round(float(probability) * 100)}%)" if isinstance(probability, int | float) else ""
    return f"{top.get(key, '')}{share}"


def _changes(layout: case_form.FormLayout, found: Sequence[FieldChange]) -> tuple[ChangeLine, ...]:
    return tuple(
        ChangeLine(
            case_form.label_of(change.field, layout),
            case_form.value_words(change.field, change.before, layout),
            case_form.value_words(change.field, change.after, layout),
        )
        for change in found
    )


def version_rows(
    *,
    session: Session,
    versions: Sequence[CaseVersion],
    signed: Mapping[int, sign_off.SignOff],
    kb: KnowledgeBase,
) -> tuple[VersionRow, ...]:
    """Each version with what changed since the one before it, newest first."""
    zone = get_settings().clinic_zone
    layout = case_form.form_layout(kb)
    authors: dict[int, str] = {}
    rows = []
    previous: CaseVersion | None = None
    for version in versions:
        author_id = version.author_user_id
        if author_id is not None and author_id not in authors:
            user = accounts_repository.user_by_id(session=session, user_id=author_id)
            authors[author_id] = user.full_name if user is not None else "a former clinician"
        found: tuple[FieldChange, ...] = ()
        moved = ""
        if previous is not None:
            comparison = compare_versions(
                case_before=previous.case_data,
                case_after=version.case_data,
                assessment_before=previous.assessment,
                assessment_after=version.assessment,
            )
            found = comparison.changed_fields
            if comparison.leading_localization.changed or comparison.leading_cause.changed:
                moved = "The leading site or cause changed with this version."
        signature = signed.get(version.number)
        rows.append(
            VersionRow(
                number=version.number,
                saved=when_label(version.created_at, zone),
                author=authors.get(author_id, "") if author_id is not None else "",
                leading_site=_leader(version.assessment, "localization", "title"),
                leading_cause=_leader(version.assessment, "etiology", "name"),
                signed=(
                    f"Signed off by {signature.by}, {when_label(signature.at, zone)}"
                    if signature is not None
                    else ""
                ),
                changes=_changes(layout, found[:CHANGES_SHOWN]),
                more_changes=max(0, len(found) - CHANGES_SHOWN),
                moved=moved,
            )
        )
        previous = version
    return tuple(reversed(rows))


def _case_blocks(
    *, session: Session, actor: Actor, patient_id: int, kb: KnowledgeBase, now: datetime
) -> tuple[CaseBlock, ...]:
    records, _total = cases_repository.cases(
        session=session, patient_id=patient_id, limit=CASES_SHOWN, offset=0
    )
    blocks = []
    for listed in records:
        record = cases.case_for_clinician(session=session, actor=actor, case_id=listed.id, now=now)
        versions = cases.versions_of(session=session, record=record)
        signed = sign_off.sign_offs_of(session=session, versions=versions)
        blocks.append(
            CaseBlock(
                case_id=record.id,
                title=record.title,
                latest=record.latest_version,
                signed_off=record.latest_version in signed,
                versions=version_rows(session=session, versions=versions, signed=signed, kb=kb),
            )
        )
    return tuple(blocks)


def _visits(
    *, session: Session, actor: Actor, patient_id: int, kb: KnowledgeBase, now: datetime
) -> tuple[VisitRow, ...]:
    zone = get_settings().clinic_zone
    record = followup.follow_up_of(
        session=session, actor=actor, patient_id=patient_id, kb=kb, now=now
    )
    rows = []
    for visit, scores in reversed(record.visits):
        named = []
        for score in scores:
            scale = kb.outcome_scales.get(score.scale_id)
            name = (scale.short_name or scale.name) if scale is not None else score.scale_id
            named.append(f"{name} {_shown(score.value)}")
        rows.append(VisitRow(when_label(visit.seen_at, zone), visit.note, tuple(named)))
    return tuple(rows)


def _appointments(
    *, session: Session, actor: Actor, patient_id: int, now: datetime
) -> tuple[AppointmentRow, ...]:
    zone = get_settings().clinic_zone
    query = scheduling_repository.appointments_query(
        patient_id=patient_id, clinician_id=None, status=None, starts_from=None, starts_before=None
    )
    rows, _total = scheduling_repository.page_of_appointments(
        session=session, query=query, limit=100, offset=0
    )
    clinicians, kinds = visit_names(session)
    shown = []
    for row in reversed(rows):
        changes.audit_read(session=session, actor=actor, appointment=row, now=now)
        shown.append(appointment_row(row, clinicians=clinicians, kinds=kinds, zone=zone, now=now))
    return tuple(shown)


@router.get("/clinic/patients/{patient_id}", name="patient_chart")
def patient_chart(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    kb: Knowledge,
    patient_id: int,
) -> Response:
    denied = gate(request, visit, Role.clinician)
    if denied is not None:
        return denied
    patient = accounts_repository.user_by_id(session=session, user_id=patient_id)
    if patient is None or patient.role != Role.patient.value:
        return message(
            request,
            visit,
            status_code=404,
            heading="Patient not found",
            text="There is no patient with this number. Search for them on the worklist.",
            next_href="/clinic",
            next_label="Go to the worklist",
        )
    audit.record_access(
        session=session,
        actor=visit.actor,
        action="read",
        subject_type="patient_chart",
        subject_id=patient.id,
        patient_user_id=patient.id,
        now=now,
    )
    page = ChartPage(
        frame=visit.frame(title=f"Chart: {patient.full_name}"),
        patient_id=patient.id,
        name=patient.full_name,
        email=patient.email,
        phone=patient.phone or "",
        cases=_case_blocks(
            session=session, actor=visit.actor, patient_id=patient.id, kb=kb, now=now
        ),
        visits=_visits(session=session, actor=visit.actor, patient_id=patient.id, kb=kb, now=now),
        appointments=_appointments(
            session=session, actor=visit.actor, patient_id=patient.id, now=now
        ),
    )
    session.commit()
    return render(request, "workspace/chart.html", page, visit)
