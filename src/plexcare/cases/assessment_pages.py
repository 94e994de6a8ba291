"""The assessment page of a saved case version: GET /clinic/cases/{case_id}/assessment.

Saving a case answers with a redirect here (post/redirect/get), so reloading the assessment
reads it again and never saves a second time. `?version=N` shows an earlier version exactly
as it was assessed then. Clinicians only; every view is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from plexcare.accounts.roles import Role
from plexcare.cases.assessment_views import AssessmentPage, stored_assessment_page
from plexcare.cases.body_map import stored_body_map
from plexcare.cases.stored_version import LARGEST_VERSION, stored_version
from plexcare.config import get_settings
from plexcare.errors import ServiceError
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal.rendering import PostedForm, Visit, VisitDep, gate, gate_form, message, render
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]
VersionNumber = Annotated[int | None, Query(ge=1, le=LARGEST_VERSION)]
Page = TypeVar("Page")


def assessment_href(case_id: int, version: int | None = None) -> str:
    """Where a saved version's assessment is shown (the redirect target after saving)."""
    query = f"?version={version}" if version is not None else ""
    return f"/clinic/cases/{case_id}/assessment{query}"


def not_found(
    request: Request, visit: Visit, error: ServiceError, *, missing: str = "Case"
) -> Response:
    """The page for a clinician's read the services refused: what was not found (a case, a
    patient), or why it is not available, and the way back to the worklist."""
    return message(
        request,
        visit,
        status_code=error.status,
        heading=f"{missing} not found" if error.status == 404 else "Not available",
        text=error.detail,
        next_href="/clinic",
        next_label="Go to the worklist",
    )


def as_clinician(
    request: Request,
    visit: Visit,
    session: Session,
    work: Callable[[], Page],
    *,
    form: PostedForm | None = None,
    missing: str = "Case",
) -> Page | Response:
    """What `work` gives, done for a signed-in clinician with the transaction settled:
    committed (with the audit entries the services wrote), or rolled back and answered with
    the not-found page when a service refused. Any other visitor gets the sign-in or 403 page;
    a `form` must also carry this visit's CSRF token."""
    if form is None:
        denied = gate(request, visit, Role.clinician)
    else:
        denied = gate_form(request, visit, form, Role.clinician)
    if denied is not None:
        return denied
    try:
        page = work()
    except ServiceError as error:
        session.rollback()
        return not_found(request, visit, error, missing=missing)
    session.commit()
    return page


@router.get("/clinic/cases/{case_id}/assessment", name="case_assessment")
def case_assessment(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    kb: Knowledge,
    case_id: int,
    version: VersionNumber = None,
) -> Response:
    def read() -> AssessmentPage:
        stored = stored_version(
            session=session,
            actor=visit.actor,
            case_id=case_id,
            number=version,
            zone=get_settings().clinic_zone,
            now=now,
        )
        return stored_assessment_page(
            frame=visit.frame(title=f"Assessment: {stored.record.title}"),
            answer=stored.version.assessment,
            header=stored.header,
            body_map=(
                stored_body_map(stored.case, kb, stored.version.assessment)
                if stored.case is not None
                else None
            ),
            days_since_onset=stored.case.days_since_onset if stored.case is not None else None,
        )

    page = as_clinician(request, visit, session, read)
    if isinstance(page, Response):
        return page
    return render(request, "cases/assessment.html", page, visit)
