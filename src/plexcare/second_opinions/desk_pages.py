"""The staff's second-opinion queue: the front desk assigns a request to a clinician, the
clinician takes it and writes the answer.

Oldest first, as patients asked. Every read and change goes through the second-opinion
services, which check the role and write the audit log; the answer queues the patient's
"your second opinion is ready" message in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.models import User
from plexcare.accounts.roles import Role
from plexcare.config import get_settings
from plexcare.errors import NotFound, ServiceError
from plexcare.portal import form_values
from plexcare.portal.refusals import refusal_page
from plexcare.portal.rendering import FormDep, Visit, VisitDep, gate, gate_form, message, render
from plexcare.second_opinions import repository, service, views
from plexcare.second_opinions.models import SecondOpinionRequest
from plexcare.second_opinions.schemas import OPINION_LIMITS, SecondOpinionStatus
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
STAFF = (Role.front_desk, Role.admin, Role.clinician)
QUEUE = "/desk/second-opinions"
STATUS_CHOICES = (
    ("open", "Waiting or in review"),
    ("received", "Waiting for a clinician"),
    ("in_review", "In review"),
    ("answered", "Answered"),
    ("all", "All"),
)


def _clinicians(session: Session) -> tuple[views.ClinicianChoice, ...]:
    rows = session.scalars(
        select(User)
        .where(User.role == Role.clinician.value, User.is_active.is_(True))
        .order_by(User.full_name)
    )
    return tuple(views.ClinicianChoice(user_id=row.id, name=row.full_name) for row in rows)


def _people(session: Session, rows: Sequence[SecondOpinionRequest]) -> Mapping[int, User]:
    ids = {row.patient_id for row in rows} | {
        row.reviewer_user_id for row in rows if row.reviewer_user_id is not None
    }
    if not ids:
        return {}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))}


def _rows(session: Session, rows: Sequence[SecondOpinionRequest]) -> tuple[views.RequestRow, ...]:
    files = repository.files_of(session=session, request_ids=[row.id for row in rows])
    people = _people(session, rows)
    zone = get_settings().clinic_zone
    return tuple(views.request_row(row, files[row.id], zone, people=people) for row in rows)


@router.get(QUEUE, name="desk_second_opinions")
def desk_queue(
    request: Request,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    status: str = "open",
    done: str = "",
) -> Response:
    denied = gate(request, visit, *STAFF)
    if denied is not None:
        return denied
    chosen = status if status in dict(STATUS_CHOICES) else "open"
    wanted: tuple[SecondOpinionStatus | None, ...] = {
        "open": (SecondOpinionStatus.received, SecondOpinionStatus.in_review),
        "all": (None,),
    }.get(chosen) or (SecondOpinionStatus(chosen),)
    found: list[SecondOpinionRequest] = []
    for one in wanted:
        rows, _total = service.list_requests(
            session=session,
            actor=visit.actor,
            patient_id=None,
            status=one,
            limit=200,
            offset=0,
            now=now,
        )
        found.extend(rows)
    found.sort(key=lambda row: (row.created_at, row.id))
    page = views.DeskQueuePage(
        frame=visit.frame(title="Second-opinion requests", current=QUEUE),
        requests=_rows(session, found),
        status=chosen,
        statuses=STATUS_CHOICES,
        clinicians=_clinicians(session),
        may_assign=visit.actor.role in (Role.front_desk.value, Role.admin.value),
        done=views.DONE_MESSAGES.get(done, ""),
    )
    session.commit()
    return render(request, "second_opinions/desk_queue.html", page, visit)


def _not_found(request: Request, visit: Visit) -> HTMLResponse:
    return message(
        request,
        visit,
        status_code=404,
        heading="Request not found",
        text="There is no such second-opinion request.",
        next_href=QUEUE,
        next_label="Back to the queue",
    )


def _detail_page(
    session: Session,
    visit: Visit,
    row: SecondOpinionRequest,
    *,
    opinion: str = "",
    errors: dict[str, str] | None = None,
    done: str = "",
) -> views.DeskRequestPage:
    shown = _rows(session, [row])[0]
    viewer = visit.actor.user_id or 0
    is_clinician = visit.actor.role == Role.clinician.value
    return views.DeskRequestPage(
        frame=visit.frame(title=f"Second-opinion request {row.id}", current=QUEUE),
        request=shown,
        clinicians=_clinicians(session),
        may_assign=row.status != SecondOpinionStatus.answered.value,
        may_answer=is_clinician
        and row.status != SecondOpinionStatus.answered.value
        and row.reviewer_user_id in (None, viewer),
        viewer_user_id=viewer,
        opinion=opinion,
        errors=errors or {},
        done=views.DONE_MESSAGES.get(done, ""),
    )


@router.get(QUEUE + "/{request_id}", name="desk_second_opinion")
def desk_request(
    request: Request,
    request_id: str,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    done: str = "",
) -> Response:
    denied = gate(request, visit, *STAFF)
    if denied is not None:
        return denied
    chosen = form_values.record_id(request_id)
    if chosen is None:
        return _not_found(request, visit)
    try:
        row = service.request_for(session=session, actor=visit.actor, request_id=chosen, now=now)
    except NotFound:
        return _not_found(request, visit)
    page = _detail_page(session, visit, row, done=done)
    session.commit()
    return render(request, "second_opinions/desk_request.html", page, visit)


def _refused(request: Request, visit: Visit, request_id: int, error: ServiceError) -> HTMLResponse:
    if isinstance(error, NotFound) and error.field is None:
        return _not_found(request, visit)
    return refusal_page(
        request,
        visit,
        error,
        heading="This request cannot be changed",
        next_href=f"{QUEUE}/{request_id}",
        next_label="Back to the request",
    )


@router.post(QUEUE + "/{request_id}/assign")
def assign(
    request: Request, request_id: str, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, *STAFF)
    if denied is not None:
        return denied
    chosen = form_values.record_id(request_id)
    reviewer = form_values.record_id(form.get("reviewer_user_id"))
    if chosen is None:
        return _not_found(request, visit)
    try:
        service.assign(
            session=session,
            actor=visit.actor,
            request_id=chosen,
            reviewer_user_id=reviewer or 0,
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        return _refused(request, visit, chosen, error)
    session.commit()
    return RedirectResponse(f"{QUEUE}?done=assigned", status_code=303)


@router.post(QUEUE + "/{request_id}/take")
def take(
    request: Request, request_id: str, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, Role.clinician)
    if denied is not None:
        return denied
    chosen = form_values.record_id(request_id)
    if chosen is None:
        return _not_found(request, visit)
    try:
        service.start_review(session=session, actor=visit.actor, request_id=chosen, now=now)
    except ServiceError as error:
        session.rollback()
        return _refused(request, visit, chosen, error)
    session.commit()
    return RedirectResponse(f"{QUEUE}/{chosen}?done=taken", status_code=303)


@router.post(QUEUE + "/{request_id}/answer")
def answer(
    request: Request, request_id: str, visit: VisitDep, form: FormDep, session: DbSession, now: Now
) -> Response:
    denied = gate_form(request, visit, form, Role.clinician)
    if denied is not None:
        return denied
    chosen = form_values.record_id(request_id)
    if chosen is None:
        return _not_found(request, visit)
    opinion = form.get("opinion")
    low, high = OPINION_LIMITS
    problem = ""
    if not low <= len(opinion) <= high:
        problem = f"Write the answer in {low} to {high:,} characters (you wrote {len(opinion):,})."
    if not problem:
        try:
            service.answer(
                session=session, actor=visit.actor, request_id=chosen, opinion=opinion, now=now
            )
        except ServiceError as error:
            session.rollback()
            return _refused(request, visit, chosen, error)
        session.commit()
        return RedirectResponse(f"{QUEUE}/{chosen}?done=answered", status_code=303)
    try:
        row = service.request_for(session=session, actor=visit.actor, request_id=chosen, now=now)
    except NotFound:
        return _not_found(request, visit)
    page = _detail_page(session, visit, row, opinion=opinion, errors={"opinion": problem})
    session.commit()
    return render(request, "second_opinions/desk_request.html", page, visit, status_code=422)
