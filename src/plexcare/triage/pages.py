"""The public symptom self-check pages (the call-back request it offers is in
`callback_pages`).

Deliberately public: anyone worried about their leg can use it without an account. Anonymous
answers are not stored; a signed-in patient's result is kept in their record by the triage
service (and audited). Bad answers bring the form back with a message beside each question
(422), never an error page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from plexcare.config import get_settings
from plexcare.errors import ServiceError
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal.rendering import FormDep, VisitDep, refuse_forgery, render
from plexcare.triage import service as triage
from plexcare.triage import views
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]

TITLE = "Symptom self-check"


@router.get("/self-check", name="self_check_page")
def self_check_form(request: Request, visit: VisitDep, kb: Knowledge) -> HTMLResponse:
    page = views.form_page(visit.frame(title=TITLE, current="/self-check"), kb)
    return render(request, "triage/self_check.html", page, visit)


@router.post("/self-check")
def self_check_result(
    request: Request,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
    kb: Knowledge,
) -> Response:
    if not form.genuine:
        return refuse_forgery(request, visit)
    answers, errors = views.read_answers(form.fields, kb)
    outcome = None
    if not errors:
        try:
            outcome = triage.self_check(
                session=session, actor=visit.actor, answers=answers, kb=kb, now=now
            )
        except ServiceError as error:
            question = (error.field or "").removeprefix("answers.")
            errors[question or views.AT_LEAST_ONE] = error.detail
    if outcome is None:
        page = views.form_page(
            visit.frame(title=TITLE, current="/self-check"), kb, form.fields, errors
        )
        return render(request, "triage/self_check.html", page, visit, status_code=422)
    settings = get_settings()
    result = views.result_page(
        visit.frame(title="Your self-check result", current="/self-check"),
        outcome,
        settings.clinic_zone,
        kb,
        fields=form.fields,
        emergency_number=settings.emergency_number,
        out_of_hours_number=settings.out_of_hours_number,
    )
    session.commit()
    return render(request, "triage/self_check_result.html", result, visit)
