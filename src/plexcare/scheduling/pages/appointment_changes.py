"""Cancelling or moving one of my appointments, each with a confirmation step and a reason.

Nothing changes on one tap: "Cancel" opens a page that shows the appointment, the clinic's
notice rule and whether this cancellation would be late (and count toward the booking pause)
before it happens, and asks why; only its form cancels. Choosing a new time opens the same
kind of page for the move. The scheduling services check ownership and notice and write the
audit log.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plexcare.accounts.roles import Role
from plexcare.config import get_settings
from plexcare.errors import NotFound, ServiceError
from plexcare.portal import form_values
from plexcare.portal.layout import when_label
from plexcare.portal.refusals import refusal_page
from plexcare.portal.rendering import FormDep, Visit, VisitDep, gate, gate_form, message, render
from plexcare.scheduling import changes
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.pages import views
from plexcare.scheduling.pages.find_a_time import (
    calendar_of,
    find_slots,
    search_values,
    zone_name,
)
from plexcare.scheduling.pages.my_appointments import (
    asked_appointment,
    clinic_place,
    lookups,
    not_among_yours,
    notice_rule,
)
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

DETAIL_LIMIT = 400


def _change_refused(request: Request, visit: Visit, error: ServiceError) -> HTMLResponse:
    if isinstance(error, NotFound):
        return not_among_yours(request, visit)
    return refusal_page(
        request,
        visit,
        error,
        heading="This appointment cannot be changed",
        next_href="/me/appointments",
        next_label="See my appointments",
    )


def _own(
    *, session: DbSession, visit: Visit, appointment_id: str, now: datetime
) -> tuple[Appointment, views.AppointmentRow]:
    """The patient's own appointment (audited read) and how the pages show it; NotFound for
    anyone else's."""
    appointment = asked_appointment(
        session=session, actor=visit.actor, appointment_id=appointment_id, now=now
    )
    clinicians, kinds = lookups(session)
    row = views.appointment_row(
        appointment,
        clinicians=clinicians,
        kinds=kinds,
        zone=get_settings().clinic_zone,
        now=now,
        location=clinic_place(),
    )
    return appointment, row


def _cancel_page(
    request: Request,
    visit: Visit,
    *,
    row: views.AppointmentRow,
    rule: views.NoticeRule,
    reason: str = "",
    detail: str = "",
    error: str = "",
) -> HTMLResponse:
    page = views.CancelPage(
        frame=visit.frame(title="Cancel my appointment", current="/me/appointments"),
        appointment=row,
        rule=rule,
        reasons=views.CHANGE_REASONS,
        reason=reason,
        detail=detail,
        error=error,
    )
    return render(
        request,
        "scheduling/cancel.html",
        page,
        visit,
        status_code=422 if error else 200,
    )


@router.get("/me/appointments/{appointment_id}/cancel", name="cancel_page")
def cancel_page(
    request: Request, appointment_id: str, visit: VisitDep, session: DbSession, now: Now
) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    try:
        _appointment, row = _own(
            session=session, visit=visit, appointment_id=appointment_id, now=now
        )
    except ServiceError as error:
        return _change_refused(request, visit, error)
    assert visit.actor.user_id is not None
    rule = notice_rule(session=session, patient_id=visit.actor.user_id, now=now)
    session.commit()
    return _cancel_page(request, visit, row=row, rule=rule)


@router.post("/me/appointments/{appointment_id}/cancel")
def cancel_appointment(
    request: Request,
    appointment_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    """Cancels only with a reason: the confirmation page's form gives one."""
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    detail = form.get("detail")[:DETAIL_LIMIT]
    code = form.get("reason_code") or ("other" if form.get("reason") else "")
    reason = views.reason_text(code, detail or form.get("reason")[:DETAIL_LIMIT])
    try:
        appointment, row = _own(
            session=session, visit=visit, appointment_id=appointment_id, now=now
        )
        if reason is None:
            assert visit.actor.user_id is not None
            rule = notice_rule(session=session, patient_id=visit.actor.user_id, now=now)
            session.commit()
            return _cancel_page(
                request,
                visit,
                row=row,
                rule=rule,
                detail=detail,
                error="Choose why you are cancelling.",
            )
        changes.cancel(
            session=session,
            actor=visit.actor,
            appointment_id=appointment.id,
            now=now,
            reason=reason,
        )
    except ServiceError as error:
        session.rollback()
        return _change_refused(request, visit, error)
    session.commit()
    return RedirectResponse("/me/appointments?done=cancelled", status_code=303)


@router.get("/me/appointments/{appointment_id}/reschedule", name="reschedule_page")
def reschedule_page(
    request: Request, appointment_id: str, visit: VisitDep, session: DbSession, now: Now
) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    try:
        appointment, row = _own(
            session=session, visit=visit, appointment_id=appointment_id, now=now
        )
    except ServiceError as error:
        return _change_refused(request, visit, error)
    values = search_values(
        request.query_params,
        specialty="",
        clinician_id=str(appointment.clinician_id),
        appointment_type_id=str(appointment.appointment_type_id),
    )
    errors: dict[str, str] = {}
    found = find_slots(session=session, now=now, values=values, errors=errors)
    assert visit.actor.user_id is not None
    page = views.ReschedulePage(
        frame=visit.frame(title="Move my appointment", current="/me/appointments"),
        appointment=row,
        values=values,
        errors=errors,
        calendar=calendar_of(found=found, values=values, now=now),
        here=f"/me/appointments/{appointment.id}/reschedule",
        time_zone=zone_name(),
        rule=notice_rule(session=session, patient_id=visit.actor.user_id, now=now),
    )
    session.commit()
    return render(
        request, "scheduling/reschedule.html", page, visit, status_code=422 if errors else 200
    )


@router.post("/me/appointments/{appointment_id}/reschedule")
def reschedule(
    request: Request,
    appointment_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    """A time chosen on the calendar (`step=choose`) opens the confirmation; the confirmation's
    form moves the appointment."""
    denied = gate_form(request, visit, form, Role.patient)
    if denied is not None:
        return denied
    starts_at = form_values.instant(form.get("starts_at"))
    try:
        appointment, row = _own(
            session=session, visit=visit, appointment_id=appointment_id, now=now
        )
    except ServiceError as error:
        return _change_refused(request, visit, error)
    if starts_at is None:
        return message(
            request,
            visit,
            status_code=422,
            heading="That time cannot be booked",
            text="The chosen time was not understood. Please choose it again from the list.",
            next_href=f"/me/appointments/{appointment.id}/reschedule",
            next_label="Choose another time",
        )
    code = form.get("reason_code")
    detail = form.get("detail")[:DETAIL_LIMIT]
    if form.get("step") == "choose" or (form.get("step") == "confirm" and not code):
        assert visit.actor.user_id is not None
        page = views.MoveConfirmPage(
            frame=visit.frame(title="Move my appointment", current="/me/appointments"),
            appointment=row,
            new_when=when_label(starts_at, get_settings().clinic_zone),
            starts_at=starts_at.isoformat(),
            rule=notice_rule(session=session, patient_id=visit.actor.user_id, now=now),
            reasons=views.CHANGE_REASONS,
            error="Choose why you are moving it." if form.get("step") == "confirm" else "",
        )
        session.commit()
        status = 422 if page.error else 200
        return render(request, "scheduling/move_confirm.html", page, visit, status_code=status)
    try:
        changes.reschedule(
            session=session,
            actor=visit.actor,
            appointment_id=appointment.id,
            starts_at=starts_at,
            now=now,
            reason=views.reason_text(code, detail),
        )
    except ServiceError as error:
        session.rollback()
        return _change_refused(request, visit, error)
    session.commit()
    return RedirectResponse("/me/appointments?done=moved", status_code=303)
