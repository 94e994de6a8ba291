"""The report of a saved case version, to print or send: /clinic/cases/{case_id}/report (HTML
with print styles and a Print button) and /clinic/cases/{case_id}/report.pdf (the same page as
a PDF, made by WeasyPrint).

It joins two areas, so it stands above both: the case version with its assessment (`cases`)
and the patient's outcome scores over time (`followup`). Clinicians only; reading the case and
reading the follow-up are each written to the audit log by their services. The PDF is built
from the same template with every stylesheet inline and every fetch refused, so it never
depends on the network or on this server's own URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from plexcare.cases.assessment_pages import VersionNumber, as_clinician
from plexcare.cases.assessment_rows import FollowUpRow, PlanGroup, RedFlagRow, WorkupRow
from plexcare.cases.assessment_views import CaseHeader, stored_assessment_page
from plexcare.cases.body_map import BodyMap, stored_body_map
from plexcare.cases.report import Conclusion, FindingsTable, conclusion, findings_table, pdf_of
from plexcare.cases.stored_version import stored_version
from plexcare.config import get_settings
from plexcare.engine import Case
from plexcare.followup import service as followup
from plexcare.followup.views import SeriesView, series_views
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal.layout import Frame, PortalPage
from plexcare.portal.rendering import Visit, VisitDep, render, templates
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]
STYLESHEET = Path(__file__).resolve().parent.parent / "web" / "static" / "css" / "report.css"
UNCERTAINTY_SHOWN = 2


@dataclass(frozen=True, kw_only=True)
class ReportPage(PortalPage):
    header: CaseHeader
    age_and_sex: str
    kb_version: str
    conclusion: Conclusion
    red_flags: tuple[RedFlagRow, ...]
    findings: FindingsTable | None
    body_map: BodyMap | None
    plan: tuple[PlanGroup, ...]
    workup: tuple[WorkupRow, ...]
    schedule: tuple[FollowUpRow, ...]
    follow_up: tuple[SeriesView, ...]
    uncertainty: tuple[str, ...]
    for_pdf: bool = False


def report_page(
    *,
    frame: Frame,
    header: CaseHeader,
    answer: Mapping[str, Any],
    case: Case | None,
    kb: KnowledgeBase,
    follow_up: tuple[SeriesView, ...],
    for_pdf: bool,
) -> ReportPage:
    """The report of a stored answer and its case (pure: no database, no clock)."""
    assessment = stored_assessment_page(
        frame=frame,
        answer=answer,
        header=header,
        days_since_onset=case.days_since_onset if case is not None else None,
    )
    return ReportPage(
        frame=frame,
        header=header,
        age_and_sex=f"{case.age}, {case.sex}" if case is not None else "not recorded",
        kb_version=assessment.kb_version,
        conclusion=conclusion(assessment),
        red_flags=assessment.red_flags,
        findings=findings_table(case, kb) if case is not None else None,
        body_map=stored_body_map(case, kb, answer) if case is not None else None,
        plan=assessment.plan,
        workup=assessment.workup,
        schedule=assessment.follow_up,
        follow_up=follow_up,
        uncertainty=assessment.uncertainty[:UNCERTAINTY_SHOWN],
        for_pdf=for_pdf,
    )


def report_pdf(page: ReportPage) -> bytes:
    """The report as PDF bytes, with its stylesheet inline."""
    html = templates.get_template("cases/report.html").render(page=page)
    return pdf_of(html, STYLESHEET.read_text(encoding="utf-8"))


def _report(
    request: Request,
    visit: Visit,
    session: DbSession,
    kb: KnowledgeBase,
    now: Now,
    case_id: int,
    version: int | None,
    *,
    for_pdf: bool,
) -> ReportPage | Response:
    """Read the version and the follow-up record (each audited by its service), then build;
    or the sign-in, 403 or not-found page, as for the assessment page."""

    def read() -> ReportPage:
        zone = get_settings().clinic_zone
        stored = stored_version(
            session=session, actor=visit.actor, case_id=case_id, number=version, zone=zone, now=now
        )
        record = followup.follow_up_of(
            session=session, actor=visit.actor, patient_id=stored.record.patient_id, kb=kb, now=now
        )
        return report_page(
            frame=visit.frame(title=f"Report: {stored.record.title}"),
            header=stored.header,
            answer=stored.version.assessment,
            case=stored.case,
            kb=kb,
            follow_up=series_views(record, zone),
            for_pdf=for_pdf,
        )

    return as_clinician(request, visit, session, read)


@router.get("/clinic/cases/{case_id}/report", name="case_report")
def case_report(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    kb: Knowledge,
    case_id: int,
    version: VersionNumber = None,
) -> Response:
    page = _report(request, visit, session, kb, now, case_id, version, for_pdf=False)
    if isinstance(page, Response):
        return page
    return render(request, "cases/report.html", page, visit)


@router.get("/clinic/cases/{case_id}/report.pdf", name="case_report_pdf")
def case_report_pdf(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    kb: Knowledge,
    case_id: int,
    version: VersionNumber = None,
) -> Response:
    page = _report(request, visit, session, kb, now, case_id, version, for_pdf=True)
    if isinstance(page, Response):
        return page
    pdf = report_pdf(page)
    name = f"plexcare-case-{page.header.case_id}-v{page.header.version}.pdf"
    response = Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
    visit.token.apply(response)
    return response
