"""Hold a free time and confirm it, or let it go.

Only a signed-in patient holds and books, and only for themselves: a hold that is not theirs,
or has lapsed, is "no longer held for you". The scheduling services check the rules and write
the audit log; a time taken in the meantime is answered with the reason and a way back. The
search the slot was chosen from rides along (`back`), so "Choose another time" returns to it.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plexcare.accounts.roles import Role
from plexcare.clinic import repository as clinic_repository
from plexcare.config import get_settings
from plexcare.errors import NotFound, ServiceError
from plexcare.portal import form_values
from plexcare.portal.layout import clock_label, when_label
from plexcare.portal.refusals import refusal_page
from plexcare.portal.rendering import FormDep, Visit, VisitDep, gate, gate_form, message, render
from plexcare.scheduling import repository as scheduling_repository
from plexcare.scheduling import service as scheduling
from plexcare.scheduling.models import SlotHold
from plexcare.scheduling.pages import views
from plexcare.scheduling.pages.find_a_time import kept_search
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def _slot_gone(request: Request, visit: Visit, error: ServiceError, back: str) -> HTMLResponse:
    return refusal_page(
        request,
        visit,
        error,
        heading="That time cannot be booked",
        next_href=back,
        next_label="Choose another time",
    )


@router.post("/book/hold")
def hold_slot(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    starts_at = form_values.instant(form.get("starts_at"))
    clinician_id = form_values.record_id(form.get("clinician_id"))
    type_id = form_values.record_id(form.get("appointment_type_id"))
    search_kept = kept_search(form.get("back"))
    back = "/book?" + (search_kept or urlencode({"clinician_id": clinician_id or ""}))
    if starts_at is None or clinician_id is None or type_id is None:
        return message(
            request,
            visit,
            status_code=422,
            heading="That time cannot be booked",
            text="The chosen time was not understood. Please choose it again from the list.",
            next_href="/book",
            next_label="Find a time",
        )
    try:
        hold = scheduling.place_hold(
            session=session,
            actor=visit.actor,
            clinician_id=clinician_id,
            appointment_type_id=type_id,
            starts_at=starts_at,
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        return _slot_gone(request, visit, error, back)
    session.commit()
    kept = f"?{urlencode({'back': search_kept})}" if search_kept else ""
    return RedirectResponse(f"/book/hold/{hold.id}{kept}", status_code=303)


def _own_hold(*, session: DbSession, visit: Visit, hold_id: int | None, now: datetime) -> SlotHold:
    hold = None if hold_id is None else scheduling_repository.hold(session=session, hold_id=hold_id)
    if hold is None or hold.patient_id != visit.actor.user_id or hold.expires_at <= now:
        raise NotFound("this time is no longer held for you")
    return hold


def _hold_lapsed(request: Request, visit: Visit) -> HTMLResponse:
    return message(
        request,
        visit,
        status_code=404,
        heading="This time is no longer held for you",
        text="Held times are kept for a few minutes only. Please choose a time again.",
        next_href="/book",
        next_label="Find a time",
    )


@router.get("/book/hold/{hold_id}", name="held_slot_page")
def held_slot(
    request: Request, hold_id: str, visit: VisitDep, session: DbSession, now: Now, back: str = ""
) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    try:
        hold = _own_hold(
            session=session, visit=visit, hold_id=form_values.record_id(hold_id), now=now
        )
    except NotFound:
        return _hold_lapsed(request, visit)
    clinician = clinic_repository.clinician(session=session, clinician_id=hold.clinician_id)
    kind = clinic_repository.appointment_type(
        session=session, appointment_type_id=hold.appointment_type_id
    )
    zone = get_settings().clinic_zone
    page = views.HoldPage(
        frame=visit.frame(title="Confirm your appointment", current="/book"),
        hold_id=hold.id,
        when=when_label(hold.starts_at, zone),
        clinician=clinician.full_name if clinician else "",
        visit=kind.name if kind else "",
        expires=clock_label(hold.expires_at, zone),
        back=kept_search(back),
    )
    return render(request, "scheduling/hold.html", page, visit)


@router.post("/book/confirm")
def confirm_booking(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    hold_id = form_values.record_id(form.get("hold_id"))
    try:
        hold = _own_hold(session=session, visit=visit, hold_id=hold_id, now=now)
    except NotFound:
        return _hold_lapsed(request, visit)
    try:
        appointment = scheduling.book(
            session=session,
            actor=visit.actor,
            clinician_id=hold.clinician_id,
            appointment_type_id=hold.appointment_type_id,
            starts_at=hold.starts_at,
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        return _slot_gone(request, visit, error, "/book?" + kept_search(form.get("back")))
    session.commit()
    return RedirectResponse(f"/me/appointments?done=booked#appointment-{appointment.id}", 303)


@router.post("/book/hold/{hold_id}/release")
def release_hold(
    request: Request, hold_id: str, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    held = form_values.record_id(hold_id)
    if held is None:
        return _hold_lapsed(request, visit)
    try:
        scheduling.release_hold(session=session, actor=visit.actor, hold_id=held, now=now)
    except ServiceError:
        return _hold_lapsed(request, visit)
    session.commit()
    search_kept = kept_search(form.get("back"))
    return RedirectResponse(f"/book?{search_kept}" if search_kept else "/book", status_code=303)
