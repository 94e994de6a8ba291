"""Clinic closures: the public holidays of the next twelve months (closed unless opened), the
days an administrator closed, and closing or opening a day.

A closed day offers no time to search or booking, for every clinician (`scheduling.closures`).
Appointments already booked on a day closed later stay booked; the page says how many, for
the front desk to move them with the patients.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select

from plexcare.admin import views
from plexcare.admin.people import ADMIN
from plexcare.config import get_settings
from plexcare.errors import ServiceError
from plexcare.portal import form_values
from plexcare.portal.refusals import as_sentence
from plexcare.portal.rendering import FormDep, Visit, VisitDep, gate, gate_form, render
from plexcare.scheduling import closures
from plexcare.scheduling.day_sheet import local_day_bounds
from plexcare.scheduling.models import ACTIVE_STATUSES, Appointment
from plexcare.scheduling.pages.views import day_label
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

SHOWN_DAYS = 366


def _page(
    request: Request,
    visit: Visit,
    session: DbSession,
    now: Now,
    *,
    done: str = "",
    errors: dict[str, str] | None = None,
    entered: dict[str, str] | None = None,
) -> HTMLResponse:
    today = now.astimezone(get_settings().clinic_zone).date()
    states = closures.days_between(
        session=session, first_day=today, last_day=today + timedelta(days=SHOWN_DAYS)
    )
    page = views.ClosuresPage(
        frame=visit.frame(title="Clinic closures", current="/admin/closures"),
        rows=tuple(
            views.ClosureRow(
                day=state.day.isoformat(),
                label=day_label(state.day),
                closed=state.closed,
                holiday=state.holiday,
                note=state.note,
            )
            for state in states
        ),
        calendar=get_settings().public_holidays,
        done=views.DONE_MESSAGES.get(done, ""),
        errors=errors or {},
        entered=entered or {},
    )
    return render(request, "admin/closures.html", page, visit, status_code=422 if errors else 200)


@router.get("/admin/closures", name="admin_closures_page")
def closures_page(
    request: Request, visit: VisitDep, session: DbSession, now: Now, done: str = ""
) -> Response:
    denied = gate(request, visit, ADMIN)
    if denied is not None:
        return denied
    return _page(request, visit, session, now, done=done)


@router.post("/admin/closures")
def set_day(
    request: Request, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, ADMIN)
    if denied is not None:
        return denied
    entered = {"day": form.get("day")[:20], "note": form.get("note")[:200]}
    day = form_values.calendar_day(form.get("day"))
    closed = form.get("closed") != "no"
    if day is None:
        return _page(
            request,
            visit,
            session,
            now,
            errors={"day": "Enter the day like 2026-12-24."},
            entered=entered,
        )
    try:
        closures.set_day(
            session=session,
            actor=visit.actor,
            day=day,
            closed=closed,
            note=form.get("note"),
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        return _page(
            request,
            visit,
            session,
            now,
            errors={error.field or "day": as_sentence(error.detail)},
            entered=entered,
        )
    start, end = local_day_bounds(day, get_settings().clinic_zone)
    booked = session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            Appointment.status.in_(ACTIVE_STATUSES),
        )
    )
    session.commit()
    done = "closed" if closed else "opened"
    extra = f"&booked={booked}&day={day.isoformat()}" if closed and booked else ""
    return RedirectResponse(f"/admin/closures?done={done}{extra}", status_code=303)
