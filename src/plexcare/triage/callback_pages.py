"""The callback form: anyone may ask the clinic to call them, with the best time and the
reason, at /callback (the home page's button) and /self-check/callback (after the self-check,
carrying its urgency).

Every field has a limit said beside it and checked here and in the service (a 5,000-character
name is refused with the limit named, never stored or failed on); a phone number that cannot
be called is explained in plain words (`callbacks.phone.PLAIN_REASONS`), not in the phone
library's terms; and the answer promises only what the clinic's real hours allow
(`callback_views.promise`). Bad input brings the form back (422) with each message beside its
field; a stored request answers with a redirect to its receipt (post/redirect/get).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plexcare.audit import service as audit
from plexcare.callbacks import repository as callbacks_repository
from plexcare.callbacks import service as callbacks
from plexcare.callbacks.phone import PLAIN_REASONS, PhoneNumberInvalid
from plexcare.callbacks.queue_rules import CALLBACK_URGENCIES, EmergencyCareNeeded
from plexcare.config import get_settings
from plexcare.errors import ServiceError
from plexcare.portal import form_values
from plexcare.portal.layout import MessagePage, when_label
from plexcare.portal.rendering import (
    FormDep,
    PostedForm,
    Visit,
    VisitDep,
    message,
    refuse_forgery,
    render,
)
from plexcare.triage import callback_views as views
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
TITLE = "Ask us to call you"
REASON_LABELS = dict(views.REASONS)


def _urgency(raw: str) -> str:
    return raw if raw in CALLBACK_URGENCIES else "routine"


def _form(
    visit: Visit,
    *,
    action: str,
    urgency: str,
    now: datetime,
    form: PostedForm | None = None,
    errors: dict[str, str] | None = None,
) -> views.CallbackFormPage:
    settings = get_settings()
    hours = callbacks.clinic_hours(now)
    closed_now = ""
    if not views.is_open(hours, now):
        closed_now = (
            "The clinic's phones are closed now; they open again on "
            f"{when_label(views.next_opening(hours, now), hours.zone)}."
        )
    name = visit.visitor.name if visit.visitor and form is None else ""
    return views.CallbackFormPage(
        frame=visit.frame(title=TITLE, current="/callback"),
        urgency=urgency,
        action=action,
        hours=views.hours_label(hours),
        closed_now=closed_now,
        out_of_hours_number=settings.out_of_hours_number,
        emergency_number=settings.emergency_number,
        times=views.time_choices(hours, now),
        full_name=form.get("full_name")[: views.NAME_LIMIT * 2] if form else name,
        phone=form.get("phone")[: views.PHONE_LIMIT * 2] if form else "",
        best_time=form.get("best_time") if form else views.ASAP,
        reason=form.get("reason") if form else "",
        details=form.get("details")[: views.DETAILS_LIMIT * 2] if form else "",
        errors=errors or {},
    )


def _too_long(label: str, limit: int, written: int) -> str:
    return f"{label} must be at most {limit:,} characters (you wrote {written:,})."


def _check(form: PostedForm) -> dict[str, str]:
    """Each field against its limit, with what to change in the message."""
    errors: dict[str, str] = {}
    full_name, phone, details = form.get("full_name"), form.get("phone"), form.get("details")
    if not full_name:
        errors["full_name"] = "Enter your name, so we know whom to ask for."
    elif len(full_name) > views.NAME_LIMIT:
        errors["full_name"] = _too_long("Your name", views.NAME_LIMIT, len(full_name))
    if not phone:
        errors["phone"] = PLAIN_REASONS["missing"]
    elif len(phone) > views.PHONE_LIMIT:
        errors["phone"] = PLAIN_REASONS["long_input"]
    if form.get("reason") not in REASON_LABELS:
        errors["reason"] = "Choose what you would like to talk about."
    if len(details) > views.DETAILS_LIMIT:
        errors["details"] = _too_long("The details", views.DETAILS_LIMIT, len(details))
    return errors


def _sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}{'' if text.endswith('.') else '.'}"


def _callback_form(
    request: Request, visit: Visit, now: datetime, urgency: str, reason: str = ""
) -> HTMLResponse:
    page = _form(visit, action=request.url.path, urgency=_urgency(urgency), now=now)
    if reason:
        page = dataclasses.replace(page, reason=reason)
    return render(request, "triage/callback.html", page, visit)


@router.get("/callback", name="callback_form")
def callback_form(
    request: Request, visit: VisitDep, now: Now, urgency: str = "routine"
) -> HTMLResponse:
    return _callback_form(request, visit, now, urgency)


@router.get("/self-check/callback", name="callback_page")
def self_check_callback_form(
    request: Request, visit: VisitDep, now: Now, urgency: str = "routine"
) -> HTMLResponse:
    return _callback_form(request, visit, now, urgency, reason="symptoms")


def _request_callback(
    request: Request,
    visit: Visit,
    form: PostedForm,
    session: DbSession,
    now: datetime,
    *,
    default_reason: str = "",
) -> Response:
    if not form.genuine:
        return refuse_forgery(request, visit)
    if default_reason and "reason" not in form.fields:
        form = PostedForm(fields={**form.fields, "reason": default_reason}, genuine=True)
    urgency = _urgency(form.get("urgency"))
    errors = _check(form)
    hours = callbacks.clinic_hours(now)
    window = views.chosen_window(form.get("best_time"), hours, now)
    if isinstance(window, str):
        errors["best_time"] = window
        window = None
    if not errors:
        details = form.get("details")
        reason = REASON_LABELS[form.get("reason")] + (f": {details}" if details else "")
        try:
            queued = callbacks.request_callback(
                session=session,
                actor=visit.actor,
                full_name=form.get("full_name"),
                phone=form.get("phone"),
                region=get_settings().phone_region,
                preferred_start=window.start if window else None,
                preferred_end=window.end if window else None,
                reason=reason,
                urgency=urgency,
                now=now,
            )
        except PhoneNumberInvalid as error:
            errors["phone"] = PLAIN_REASONS.get(error.reason, PLAIN_REASONS["invalid"])
        except EmergencyCareNeeded as error:
            errors["urgency"] = error.advice
        except ServiceError as error:
            field = error.field or "phone"
            where = {"preferred_start": "best_time", "preferred_end": "best_time"}
            errors[where.get(field, field)] = _sentence(error.detail)
        else:
            session.commit()
            return RedirectResponse(
                f"/callback/sent?request={queued.id}&check={receipt_check(queued.id)}",
                status_code=303,
            )
    session.rollback()
    page = _form(visit, action=request.url.path, urgency=urgency, now=now, form=form, errors=errors)
    return render(request, "triage/callback.html", page, visit, status_code=422)


@router.post("/callback")
def request_callback(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    return _request_callback(request, visit, form, session, now)


@router.post("/self-check/callback")
def request_self_check_callback(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    """After the self-check the reason is the symptoms, unless the person chose another."""
    return _request_callback(request, visit, form, session, now, default_reason="symptoms")


def receipt_check(callback_id: int) -> str:
    """A keyed check on the receipt's address, so the page after the form shows its promise
    to whoever sent it and cannot be walked through by changing the number."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"callback-receipt:{callback_id}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]


@router.get("/callback/sent", name="callback_sent")
def callback_sent(
    request: Request, visit: VisitDep, session: DbSession, now: Now, check: str = ""
) -> Response:
    """What will happen, said from the stored request (post/redirect/get): its due time and
    window, and the clinic's hours as they stood when it was asked."""
    chosen = form_values.record_id(request.query_params.get("request", ""))
    queued = (
        callbacks_repository.callback_request(session=session, callback_id=chosen)
        if chosen is not None and hmac.compare_digest(receipt_check(chosen), check)
        else None
    )
    if queued is None:
        return message(
            request,
            visit,
            status_code=404,
            heading="Request not found",
            text="This link does not lead to a callback request. If you asked for a call, "
            "it stands; you can also call the clinic.",
            next_href="/contact",
            next_label="Contact the clinic",
        )
    audit.record_access(
        session=session,
        actor=visit.actor,
        action="read",
        subject_type="callback_request",
        subject_id=queued.id,
        patient_user_id=queued.patient_user_id,
        now=now,
    )
    settings = get_settings()
    hours = callbacks.clinic_hours(queued.created_at)
    window = (
        views.Window(queued.preferred_start, queued.preferred_end)
        if queued.preferred_start is not None and queued.preferred_end is not None
        else None
    )
    said = views.promise(
        due=queued.due_at,
        window=window,
        urgent=queued.urgency == "urgent",
        hours=hours,
        now=queued.created_at,
        out_of_hours_number=settings.out_of_hours_number,
        emergency_number=settings.emergency_number,
    )
    session.commit()
    page = MessagePage(
        frame=visit.frame(title="We will call you", current="/callback"),
        heading="We will call you",
        message=" ".join(said),
        next_href="/",
        next_label="Go to the home page",
    )
    return render(request, "portal/message.html", page, visit)
