"""The call-back queue: who asked to be called, overdue first, taken by one colleague at a
time, and what came of the call.

Front desk and admin accounts only; the callbacks service locks the request (a colleague
taking one already taken gets "already taken", never a silent change of owner) and audits
every read and change. The request form itself is the public /callback page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plexcare.accounts import repository as accounts_repository
from plexcare.callbacks import service as callbacks
from plexcare.callbacks.phone import display_phone_number
from plexcare.callbacks.schemas import CallbackStatus
from plexcare.config import get_settings
from plexcare.desk import views
from plexcare.desk.schedule import DESK
from plexcare.errors import ServiceError
from plexcare.portal import form_values
from plexcare.portal.rendering import FormDep, VisitDep, gate, gate_form, render
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

QUEUE_LIMIT = 200
NOTE_LIMIT = 2000
OUTCOMES = {
    "done": CallbackStatus.done,
    "unreachable": CallbackStatus.unreachable,
    "release": CallbackStatus.new,
}


@router.get("/desk/callbacks", name="desk_callbacks_page")
def callback_queue(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    done: str = "",
    error: str = "",
) -> Response:
    denied = gate(request, visit, *DESK)
    if denied is not None:
        return denied
    found, _total = callbacks.desk_queue(
        session=session,
        actor=visit.actor,
        status=None,
        owner_user_id=None,
        overdue_only=False,
        limit=QUEUE_LIMIT,
        offset=0,
        now=now,
    )
    settings = get_settings()
    zone = settings.clinic_zone
    owners = {
        user.id: user.full_name
        for user_id in {view.request.owner_user_id for view in found if view.request.owner_user_id}
        if (user := accounts_repository.user_by_id(session=session, user_id=user_id))
    }
    rows = [
        (
            view,
            views.callback_row(
                view,
                zone=zone,
                owners=owners,
                me=visit.actor.user_id,
                phone=display_phone_number(view.request.phone, region=settings.phone_region),
            ),
        )
        for view in found
    ]
    open_statuses = (CallbackStatus.new.value, CallbackStatus.in_progress.value)
    waiting = sorted(
        (pair for pair in rows if pair[0].request.status in open_statuses),
        key=lambda pair: (not pair[0].overdue, pair[0].request.due_at, pair[0].request.id),
    )
    closed = [row for view, row in rows if view.request.status not in open_statuses]
    page = views.CallbackQueuePage(
        frame=visit.frame(title="Call-backs", current="/desk"),
        open_rows=tuple(row for _view, row in waiting),
        closed_rows=tuple(reversed(closed)),
        overdue_count=sum(1 for view, _row in waiting if view.overdue),
        time_zone=settings.clinic_timezone,
        done=views.DONE_MESSAGES.get(done, ""),
        error="A colleague has already taken this call-back." if error == "taken" else "",
    )
    session.commit()
    return render(request, "desk/callbacks.html", page, visit)


@router.post("/desk/callbacks/{callback_id}/claim")
def claim(
    request: Request, callback_id: str, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, *DESK)
    if denied is not None:
        return denied
    chosen = form_values.record_id(callback_id)
    if chosen is None:
        return RedirectResponse("/desk/callbacks", status_code=303)
    try:
        callbacks.update_callback(
            session=session,
            actor=visit.actor,
            callback_id=chosen,
            status=CallbackStatus.in_progress,
            owner_user_id=None,
            note=None,
            fields_set=("status",),
            now=now,
        )
    except ServiceError:
        session.rollback()
        return RedirectResponse("/desk/callbacks?error=taken", status_code=303)
    session.commit()
    return RedirectResponse(f"/desk/callbacks?done=claimed#callback-{chosen}", status_code=303)


@router.post("/desk/callbacks/{callback_id}/outcome")
def record_outcome(
    request: Request, callback_id: str, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, *DESK)
    if denied is not None:
        return denied
    chosen = form_values.record_id(callback_id)
    outcome = OUTCOMES.get(form.get("outcome"))
    if chosen is None or outcome is None:
        return RedirectResponse("/desk/callbacks", status_code=303)
    note = form.get("note")[:NOTE_LIMIT]
    try:
        callbacks.update_callback(
            session=session,
            actor=visit.actor,
            callback_id=chosen,
            status=outcome,
            owner_user_id=None,
            note=note or None,
            fields_set=("status", "owner_user_id", "note")
            if outcome is CallbackStatus.new
            else ("status", "note"),
            now=now,
        )
    except ServiceError:
        session.rollback()
        return RedirectResponse("/desk/callbacks?error=taken", status_code=303)
    session.commit()
    return RedirectResponse(f"/desk/callbacks?done=recorded#callback-{chosen}", status_code=303)
