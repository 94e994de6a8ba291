"""The public symptom self-check pages, and the call-back request it offers.

Deliberately public: anyone worried about their leg can use it without an account. Anonymous
answers are not stored; a signed-in patient's result is kept in their record by the triage
service (and audited). Bad answers bring the form back with a message beside each question
(422), never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from plexcare.callbacks import service as callbacks
from plexcare.callbacks.queue_rules import CALLBACK_URGENCIES
from plexcare.config import get_settings
from plexcare.errors import ServiceError
from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase
from plexcare.portal.layout import PortalPage, when_label
from plexcare.portal.rendering import FormDep, VisitDep, message, refuse_forgery, render
from plexcare.triage import service as triage
from plexcare.triage import views
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Knowledge = Annotated[KnowledgeBase, Depends(knowledge_base)]

TITLE = "Symptom self-check"


@dataclass(frozen=True, kw_only=True)
class CallbackFormPage(PortalPage):
    urgency: str
    full_name: str = ""
    phone: str = ""
    errors: dict[str, str] = field(default_factory=dict)


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


def _urgency(raw: str) -> str:
    return raw if raw in CALLBACK_URGENCIES else "routine"


@router.get("/self-check/callback", name="callback_page")
def callback_form(request: Request, visit: VisitDep, urgency: str = "routine") -> HTMLResponse:
    page = CallbackFormPage(
        frame=visit.frame(title="Ask us to call you", current="/self-check"),
        urgency=_urgency(urgency),
        full_name=visit.visitor.name if visit.visitor else "",
    )
    return render(request, "triage/callback.html", page, visit)


CALLBACK_FIELDS = {"full_name", "phone"}


@router.post("/self-check/callback")
def request_callback(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    if not form.genuine:
        return refuse_forgery(request, visit)
    urgency = _urgency(form.get("urgency"))
    full_name, phone = form.get("full_name"), form.get("phone")
    errors: dict[str, str] = {}
    if not full_name:
        errors["full_name"] = "Enter your name."
    if not phone:
        errors["phone"] = "Enter a phone number we can call."
    if not errors:
        try:
            queued = callbacks.request_callback(
                session=session,
                actor=visit.actor,
                full_name=full_name,
                phone=phone,
                region="GB",
                preferred_start=None,
                preferred_end=None,
                reason="Asked for a call after the symptom self-check.",
                urgency=urgency,
                now=now,
            )
        except ServiceError as error:
            name = error.field if error.field in CALLBACK_FIELDS else "phone"
            errors[name] = error.detail
        else:
            due = when_label(queued.due_at, get_settings().clinic_zone)
            session.commit()
            return message(
                request,
                visit,
                status_code=200,
                heading="We will call you",
                text=(
                    f"The clinic will call you by {due}. If you get worse before then, call "
                    "your local emergency number or go to an emergency department."
                ),
            )
    page = CallbackFormPage(
        frame=visit.frame(title="Ask us to call you", current="/self-check"),
        urgency=urgency,
        full_name=full_name,
        phone=phone,
        errors=errors,
    )
    return render(request, "triage/callback.html", page, visit, status_code=422)
