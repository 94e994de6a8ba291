"""The patient's second-opinion pages: ask with files, follow the request, read the answer.

The form posts the same multipart body as the JSON API and goes through the same reader
(`intake.read_submission`, bounded from the first byte) and the same service (`service.submit`,
every file checked by its content), so a file the API refuses is refused here, with the same
plain reason beside the file field. The body is read only once the visitor is known to be a
signed-in patient. A small script (`/static/js/upload-progress.js`, allowed by the pages'
script-from-this-site policy) shows the upload's progress; without it the form still works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from plexcare.accounts.roles import Role
from plexcare.config import get_settings
from plexcare.errors import NotFound, ServiceError
from plexcare.portal import csrf, form_values
from plexcare.portal.rendering import Visit, VisitDep, gate, message, refuse_forgery, render
from plexcare.second_opinions import intake, repository, service, views
from plexcare.second_opinions.routes import UploadDirectory, UploadLimit
from plexcare.second_opinions.uploads import describe_size
from plexcare.web.dependencies import DbSession, Now

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
FORM_TITLE = "Ask for a second opinion"


def _form_page(
    visit: Visit, max_bytes: int, *, question: str = "", errors: dict[str, str] | None = None
) -> views.RequestFormPage:
    return views.RequestFormPage(
        frame=visit.frame(title=FORM_TITLE, current="/second-opinion"),
        question=question,
        errors=errors or {},
        size_limit=describe_size(max_bytes),
        max_files=service.MAX_FILES,
        question_limits=service.QUESTION_LIMITS,
    )


@router.get("/second-opinion", name="second_opinion_form")
def second_opinion_form(request: Request, visit: VisitDep, max_bytes: UploadLimit) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    return render(request, "second_opinions/request.html", _form_page(visit, max_bytes), visit)


async def patient_submission(
    request: Request, visit: VisitDep, session: DbSession, max_bytes: UploadLimit
) -> AsyncIterator[intake.Submission | ServiceError | None]:
    """The posted question and files, read only for a signed-in patient (None otherwise, with
    the body unread). A body that cannot be read is handed on as its error, so the page can
    say what was wrong beside the form rather than answer with problem+json."""
    if visit.actor.role != Role.patient.value or visit.visitor is None:
        yield None
        return
    if session.in_transaction():
        await run_in_threadpool(session.commit)
    try:
        async with intake.read_submission(request, max_bytes=max_bytes) as submission:
            yield submission
    except ServiceError as error:
        yield error


PatientSubmission = Annotated[intake.Submission | ServiceError | None, Depends(patient_submission)]


def _field_for(error: ServiceError) -> str:
    return "question" if error.field == "question" else "files"


def _sentence(text: str) -> str:
    text = text.strip()
    return f"{text[:1].upper()}{text[1:]}{'' if text.endswith('.') else '.'}"


@router.post("/second-opinion")
def submit_second_opinion(
    request: Request,
    visit: VisitDep,
    submission: PatientSubmission,
    session: DbSession,
    now: Now,
    directory: UploadDirectory,
    max_bytes: UploadLimit,
) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    if isinstance(submission, ServiceError):
        errors = {_field_for(submission): _sentence(submission.detail)}
        page = _form_page(visit, max_bytes, errors=errors)
        return render(request, "second_opinions/request.html", page, visit, status_code=422)
    assert submission is not None
    if not csrf.is_genuine(request, submission.csrf_token):
        return refuse_forgery(request, visit)
    try:
        created, stored = service.submit(
            session=session,
            actor=visit.actor,
            question=submission.question,
            files=submission.files,
            directory=directory,
            max_bytes=max_bytes,
            now=now,
        )
    except ServiceError as error:
        session.rollback()
        page = _form_page(
            visit,
            max_bytes,
            question=submission.question,
            errors={_field_for(error): _sentence(error.detail)},
        )
        return render(request, "second_opinions/request.html", page, visit, status_code=422)
    request_id = created.id
    try:
        session.commit()
    except BaseException:
        service.discard_stored(directory=directory, stored=stored)
        raise
    return RedirectResponse(f"/me/second-opinions/{request_id}?done=sent", status_code=303)


@router.get("/me/second-opinions", name="my_second_opinions")
def my_second_opinions(request: Request, visit: VisitDep, session: DbSession, now: Now) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    rows, _total = service.list_requests(
        session=session,
        actor=visit.actor,
        patient_id=None,
        status=None,
        limit=200,
        offset=0,
        now=now,
    )
    files = repository.files_of(session=session, request_ids=[row.id for row in rows])
    zone = get_settings().clinic_zone
    page = views.MyRequestsPage(
        frame=visit.frame(title="My second opinions", current="/me/second-opinions"),
        requests=tuple(views.request_row(row, files[row.id], zone) for row in reversed(list(rows))),
    )
    session.commit()
    return render(request, "second_opinions/mine.html", page, visit)


def _not_found(request: Request, visit: Visit, back: str) -> HTMLResponse:
    return message(
        request,
        visit,
        status_code=404,
        heading="Request not found",
        text="There is no such second-opinion request among those you may see.",
        next_href=back,
        next_label="See the requests",
    )


@router.get("/me/second-opinions/{request_id}", name="my_second_opinion")
def my_second_opinion(
    request: Request,
    request_id: str,
    visit: VisitDep,
    session: DbSession,
    now: Now,
    done: str = "",
) -> Response:
    denied = gate(request, visit, Role.patient)
    if denied is not None:
        return denied
    chosen = form_values.record_id(request_id)
    if chosen is None:
        return _not_found(request, visit, "/me/second-opinions")
    try:
        row = service.request_for(session=session, actor=visit.actor, request_id=chosen, now=now)
    except NotFound:
        return _not_found(request, visit, "/me/second-opinions")
    files = repository.files_of(session=session, request_ids=[row.id])[row.id]
    page = views.RequestPage(
        frame=visit.frame(title="My second opinion", current="/me/second-opinions"),
        request=views.request_row(row, files, get_settings().clinic_zone),
        done=views.DONE_MESSAGES.get(done, "") if done == "sent" else "",
    )
    session.commit()
    return render(request, "second_opinions/detail.html", page, visit)
