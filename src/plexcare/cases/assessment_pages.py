"""The assessment page of a saved case version: GET /clinic/cases/{case_id}/assessment.

Saving a case answers with a redirect here (post/redirect/get), so reloading the assessment
reads it again and never saves a second time. `?version=N` shows an earlier version exactly
as it was assessed then. Clinicians only; every view is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from plexcare.accounts.roles import Role
from plexcare.cases.assessment_views import stored_assessment_page
from plexcare.cases.body_map import BodyMap, body_map
from plexcare.cases.stored_version import LARGEST_VERSION, StoredVersion, stored_version
from plexcare.config import get_settings
from plexcare.errors import ServiceError
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal.rendering import Visit, VisitDep, gate, message, render
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]
VersionNumber = Annotated[int | None, Query(ge=1, le=LARGEST_VERSION)]


def assessment_href(case_id: int, version: int | None = None) -> str:
    """Where a saved version's assessment is shown (the redirect target after saving)."""
    query = f"?version={version}" if version is not None else ""
    return f"/clinic/cases/{case_id}/assessment{query}"


def map_of(stored: StoredVersion, kb: KnowledgeBase) -> BodyMap | None:
    """The body map of a stored version, or None when its case no longer reads."""
    if stored.case is None:
        return None
    localization = stored.version.assessment.get("localization")
    leader = localization[0] if isinstance(localization, list) and localization else {}
    key = leader.get("key") if isinstance(leader, dict) else None
    return body_map(stored.case, kb, key if isinstance(key, str) else None)


def not_found(request: Request, visit: Visit, error: ServiceError) -> Response:
    return message(
        request,
        visit,
        status_code=error.status,
        heading="Case not found" if error.status == 404 else "Not available",
        text=error.detail,
        next_href="/clinic",
        next_label="Go to the worklist",
    )


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
    denied = gate(request, visit, Role.clinician)
    if denied is not None:
        return denied
    try:
        stored = stored_version(
            session=session,
            actor=visit.actor,
            case_id=case_id,
            number=version,
            zone=get_settings().clinic_zone,
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        return not_found(request, visit, error)
    page = stored_assessment_page(
        frame=visit.frame(title=f"Assessment: {stored.record.title}"),
        answer=stored.version.assessment,
        header=stored.header,
        body_map=map_of(stored, kb),
        days_since_onset=stored.case.days_since_onset if stored.case is not None else None,
    )
    session.commit()
    return render(request, "cases/assessment.html", page, visit)
