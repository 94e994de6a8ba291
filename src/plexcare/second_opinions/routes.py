"""Second-opinion endpoints: patients submit and read their own; clinicians review and answer;
the front desk and clinicians work the queue; files download only for their patient or staff."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.config import get_settings
from plexcare.second_opinions import intake, repository, service
from plexcare.second_opinions.models import SecondOpinionRequest
from plexcare.second_opinions.schemas import (
    OpinionRequest,
    SecondOpinionFileOut,
    SecondOpinionOut,
    SecondOpinionPage,
    SecondOpinionStatus,
)
from plexcare.web.dependencies import DbSession, Now, Paging, SignedIn, require_roles

router = APIRouter(prefix="/api/v1", tags=["second opinions"])
Patient = Annotated[Actor, Depends(require_roles(Role.patient))]
Clinician = Annotated[Actor, Depends(require_roles(Role.clinician))]


def upload_directory(request: Request) -> Path:
    """`app.state.upload_dir` when set (tests), else the configured upload directory."""
    configured = getattr(request.app.state, "upload_dir", None)
    return Path(configured) if configured else get_settings().upload_dir


def upload_limit(request: Request) -> int:
    configured = getattr(request.app.state, "upload_max_bytes", None)
    return int(configured) if configured else get_settings().upload_max_bytes


UploadDirectory = Annotated[Path, Depends(upload_directory)]
UploadLimit = Annotated[int, Depends(upload_limit)]


def _out(session: Session, requests: Sequence[SecondOpinionRequest]) -> list[SecondOpinionOut]:
    files = repository.files_of(session=session, request_ids=[row.id for row in requests])
    return [
        SecondOpinionOut(
            id=row.id,
            patient_id=row.patient_id,
            question=row.question,
            status=SecondOpinionStatus(row.status),
            reviewer_user_id=row.reviewer_user_id,
            opinion=row.opinion,
            answered_at=row.answered_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            files=[SecondOpinionFileOut.model_validate(item) for item in files[row.id]],
        )
        for row in requests
    ]


async def submission_form(
    request: Request, actor: Patient, session: DbSession, max_bytes: UploadLimit
) -> AsyncIterator[intake.Submission]:
    """The submission's question and files, read only once the caller is known to be a patient.

    Depending on `Patient` makes the role check run first, so an anonymous or wrong-role caller
    is refused before one byte of the body is read. The sign-in check's transaction is ended
    before the (possibly slow) body is read, so no pooled database connection waits on it.
    """
    if session.in_transaction():
        await run_in_threadpool(session.commit)
    async with intake.read_submission(request, max_bytes=max_bytes) as submission:
        yield submission


SubmissionForm = Annotated[intake.Submission, Depends(submission_form)]
_SUBMISSION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["question"],
                    "properties": {
                        "question": {
                            "type": "string",
                            "description": "what you would like a specialist to answer",
                        },
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "PDF, JPEG, PNG or DICOM reports and images",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/second-opinions",
    response_model=SecondOpinionOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_SUBMISSION_BODY,
    responses={
        400: {"description": "The body is not a readable form."},
        413: {"description": "The files are larger than the upload limit."},
        415: {"description": "Not a form, or a file that is not a PDF, JPEG, PNG or DICOM."},
        422: {"description": "A damaged or disguised file, or an invalid question or file list."},
    },
)
def submit_second_opinion(
    actor: Patient,
    form: SubmissionForm,
    session: DbSession,
    now: Now,
    directory: UploadDirectory,
    max_bytes: UploadLimit,
) -> SecondOpinionOut:
    """Patient: ask for a second opinion, with reports and images (checked by content).

    The body is at most `upload_max_bytes` for all files together (plus 64 KB for the
    question); a longer declared Content-Length is refused before it is read, and a longer
    stream as soon as it passes the limit.
    """
    request, stored = service.submit(
        session=session,
        actor=actor,
        question=form.question,
        files=form.files,
        directory=directory,
        max_bytes=max_bytes,
        now=now,
    )
    answer = _out(session, [request])[0]
    try:
        session.commit()
    except BaseException:
        service.discard_stored(directory=directory, stored=stored)
        raise
    return answer


@router.get("/second-opinions", response_model=SecondOpinionPage)
def list_second_opinions(
    actor: SignedIn,
    session: DbSession,
    now: Now,
    page: Paging,
    status_filter: Annotated[SecondOpinionStatus | None, Query(alias="status")] = None,
    patient_id: Annotated[int | None, Query()] = None,
) -> SecondOpinionPage:
    """Patients see their own requests; staff see the queue, oldest first."""
    rows, total = service.list_requests(
        session=session,
        actor=actor,
        patient_id=patient_id,
        status=status_filter,
        limit=page.limit,
        offset=page.offset,
        now=now,
    )
    answer = SecondOpinionPage(
        items=_out(session, rows), total=total, limit=page.limit, offset=page.offset
    )
    session.commit()
    return answer


@router.get("/second-opinions/{request_id}", response_model=SecondOpinionOut)
def get_second_opinion(
    request_id: int, actor: SignedIn, session: DbSession, now: Now
) -> SecondOpinionOut:
    request = service.request_for(session=session, actor=actor, request_id=request_id, now=now)
    answer = _out(session, [request])[0]
    session.commit()
    return answer


@router.post("/second-opinions/{request_id}/review", response_model=SecondOpinionOut)
def start_review(
    request_id: int, actor: Clinician, session: DbSession, now: Now
) -> SecondOpinionOut:
    """Clinician: take the request into review."""
    request = service.start_review(session=session, actor=actor, request_id=request_id, now=now)
    answer = _out(session, [request])[0]
    session.commit()
    return answer


@router.post("/second-opinions/{request_id}/answer", response_model=SecondOpinionOut)
def answer_second_opinion(
    request_id: int, body: OpinionRequest, actor: Clinician, session: DbSession, now: Now
) -> SecondOpinionOut:
    """Clinician: write the opinion; the patient is notified that it is ready."""
    request = service.answer(
        session=session, actor=actor, request_id=request_id, opinion=body.opinion, now=now
    )
    answer = _out(session, [request])[0]
    session.commit()
    return answer


@router.get("/second-opinions/{request_id}/files/{file_id}")
def download_file(
    request_id: int,
    file_id: int,
    actor: SignedIn,
    session: DbSession,
    now: Now,
    directory: UploadDirectory,
) -> Response:
    """The file exactly as uploaded (checksum verified), for its patient or staff; audited.

    Always an attachment under a name made here from the request, the file's place in it and
    its detected type (``second-opinion-12-1.pdf``), never the uploader's name, with the
    detected content type and ``nosniff``, so no browser runs or renders it as something else.
    """
    found = service.download(
        session=session,
        actor=actor,
        request_id=request_id,
        file_id=file_id,
        directory=directory,
        now=now,
    )
    session.commit()
    return Response(
        content=found.data,
        media_type=found.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{found.download_name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )
