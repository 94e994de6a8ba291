"""The front desk's day: today's appointments by clinician and by room, arrivals, and marking
a visit attended or missed.

Front desk and admin accounts only. Every appointment shown is an audited read and every mark
an audited change (the scheduling services write the log); a missed visit counts toward the
patient's booking pause as the API's no-show does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plexcare.accounts.roles import Role
from plexcare.config import get_settings
from plexcare.desk import views
from plexcare.errors import ServiceError
from plexcare.portal import form_values
from plexcare.portal.refusals import refusal_page
from plexcare.portal.rendering import (
    FormDep,
    PostedForm,
    Visit,
    VisitDep,
    gate,
    gate_form,
    message,
    render,
)
from plexcare.scheduling import changes, closures
from plexcare.scheduling.day_sheet import day_sheet
from plexcare.scheduling.pages import views as booking_views
from plexcare.scheduling.policy import AppointmentStatus
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

DESK = (Role.front_desk, Role.admin)


@router.get("/desk", name="desk_day_page")
def desk_day(
    request: Request, visit: VisitDep, session: DbSession, now: Now, day: str = "", done: str = ""
) -> Response:
    denied = gate(request, visit, *DESK)
    if denied is not None:
        return denied
    zone = get_settings().clinic_zone
    today = now.astimezone(zone).date()
    shown = form_values.calendar_day(day) if day else today
    if shown is None:
        return message(
            request,
            visit,
            status_code=422,
            heading="That day was not understood",
            text="Enter a date like 2026-03-02.",
            next_href="/desk",
            next_label="See today",
        )
    sheet = day_sheet(session=session, actor=visit.actor, day=shown, zone=zone, now=now)
    by_clinician, by_room = views.sheet_groups(sheet, zone=zone, now=now)
    page = views.DaySheetPage(
        frame=visit.frame(title="Front desk", current="/desk"),
        day_label=booking_views.day_label(shown),
        day=shown.isoformat(),
        previous_day=(shown - timedelta(days=1)).isoformat(),
        next_day=(shown + timedelta(days=1)).isoformat(),
        today=today.isoformat(),
        closed_note=views.closed_note(
            closures.days_between(session=session, first_day=shown, last_day=shown)
        ),
        by_clinician=by_clinician,
        by_room=by_room,
        time_zone=get_settings().clinic_timezone,
        done=views.DONE_MESSAGES.get(done, ""),
    )
    session.commit()
    return render(request, "desk/day.html", page, visit)


def _refused(request: Request, visit: Visit, error: ServiceError, back: str) -> HTMLResponse:
    return refusal_page(
        request,
        visit,
        error,
        heading="This appointment cannot be marked",
        next_href=back,
        next_label="Back to the day",
    )


@router.post("/desk/appointments/{appointment_id}/arrived")
def mark_arrived(
    request: Request,
    appointment_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    return _mark(request, visit, form, session, now, appointment_id=appointment_id, mark="arrived")


@router.post("/desk/appointments/{appointment_id}/attended")
def mark_attended(
    request: Request,
    appointment_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    return _mark(request, visit, form, session, now, appointment_id=appointment_id, mark="attended")


@router.post("/desk/appointments/{appointment_id}/missed")
def mark_missed(
    request: Request,
    appointment_id: str,
    visit: VisitDep,
    form: FormDep,
    session: DbSession,
    now: Now,
) -> Response:
    return _mark(request, visit, form, session, now, appointment_id=appointment_id, mark="missed")


def _mark(
    request: Request,
    visit: Visit,
    form: PostedForm,
    session: DbSession,
    now: datetime,
    *,
    appointment_id: str,
    mark: str,
) -> Response:
    denied = gate_form(request, visit, form, *DESK)
    if denied is not None:
        return denied
    chosen = form_values.record_id(appointment_id)
    day = form_values.calendar_day(form.get("day"))
    back = f"/desk?day={day.isoformat()}" if day else "/desk"
    if chosen is None:
        return message(
            request,
            visit,
            status_code=404,
            heading="Appointment not found",
            text="There is no such appointment to mark.",
            next_href=back,
            next_label="Back to the day",
        )
    try:
        if mark == "arrived":
            changes.mark_arrived(
                session=session,
                actor=visit.actor,
                appointment_id=chosen,
                now=now,
                zone=get_settings().clinic_zone,
            )
        else:
            changes.mark_attendance(
                session=session,
                actor=visit.actor,
                appointment_id=chosen,
                outcome=AppointmentStatus.COMPLETED
                if mark == "attended"
                else AppointmentStatus.NO_SHOW,
                now=now,
            )
    except ServiceError as error:
        session.rollback()
        return _refused(request, visit, error, back)
    session.commit()
    joiner = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{joiner}done={mark}#appointment-{chosen}", status_code=303)
