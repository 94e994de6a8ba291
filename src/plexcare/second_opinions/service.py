"""Second-opinion use-cases: submit with files, take into review, answer, read, download.
Never commits.

Files are checked by content and stored by `uploads.store_upload` before their rows are
flushed; if any file of a submission is refused, the files already stored for it are removed
and the caller's transaction is never committed, so a refused submission leaves neither rows
nor files (a crash between storing and committing leaves files that `orphans` sweeps away at
start-up). Downloads carry a name made here, never the uploader's. Patients see only their
own requests (another patient's gets NotFound); every read, download and write is audited; an
answer queues a notification in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from plexcare.accounts import repository as accounts_repository
from plexcare.accounts.actor import Actor
from plexcare.accounts.roles import Role
from plexcare.audit import service as audit
from plexcare.errors import Conflict, InvalidInput, NotFound, ServiceError
from plexcare.notifications import outbox
from plexcare.second_opinions import repository
from plexcare.second_opinions.models import SecondOpinionFile, SecondOpinionRequest
from plexcare.second_opinions.schemas import SecondOpinionStatus
from plexcare.second_opinions.uploads import (
    StoredUpload,
    UploadCorrupted,
    UploadKind,
    read_upload,
    store_upload,
)

MAX_FILES = 10
QUESTION_LIMITS = (10, 5000)


class StoredFileDamaged(ServiceError):
    """A stored file no longer matches its checksum: the clinic's fault, never the patient's."""

    status = 500
    title = "Stored file damaged"


@dataclass(frozen=True)
class IncomingFile:
    stream: BinaryIO
    file_name: str | None


@dataclass(frozen=True)
class Download:
    """A file to send: its bytes, the type found at upload, and a name made here."""

    file: SecondOpinionFile
    data: bytes
    content_type: str
    download_name: str


def download_name(*, request_id: int, position: int, content_type: str) -> str:
    """``second-opinion-12-1.pdf``: never the uploader's name, and the extension is the one
    of the type found in the content (``.bin`` for a type no longer accepted)."""
    kind = UploadKind.of_content_type(content_type)
    return f"second-opinion-{request_id}-{position}{kind.extension if kind else '.bin'}"


def discard_stored(*, directory: Path, stored: Sequence[StoredUpload]) -> None:
    """Remove files stored for a submission that will not be committed."""
    for upload in stored:
        (directory / upload.stored_name).unlink(missing_ok=True)


def _check_question(question: str) -> str:
    text = question.strip()
    low, high = QUESTION_LIMITS
    if not low <= len(text) <= high:
        raise InvalidInput(f"write between {low} and {high} characters", field="question")
    return text


def submit(
    *,
    session: Session,
    actor: Actor,
    question: str,
    files: Sequence[IncomingFile],
    directory: Path,
    max_bytes: int,
    now: datetime,
) -> tuple[SecondOpinionRequest, list[StoredUpload]]:
    """A patient's question with their reports and images; all files or none are kept.

    Returns the stored uploads too, so the caller can discard them if its commit fails.
    """
    patient_id = actor.require_role(Role.patient)
    text = _check_question(question)
    if len(files) > MAX_FILES:
        raise InvalidInput(f"send at most {MAX_FILES} files at once", field="files")
    stored: list[StoredUpload] = []
    try:
        for incoming in files:
            stored.append(
                store_upload(
                    incoming.stream,
                    original_name=incoming.file_name,
                    directory=directory,
                    max_bytes=max_bytes,
                )
            )
        request = SecondOpinionRequest(
            patient_id=patient_id,
            question=text,
            status=SecondOpinionStatus.received.value,
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        session.flush()
        for upload in stored:
            session.add(
                SecondOpinionFile(
                    request_id=request.id,
                    stored_name=upload.stored_name,
                    original_name=upload.original_name,
                    content_type=upload.content_type,
                    size=upload.size,
                    sha256=upload.sha256,
                    uploaded_at=now,
                )
            )
        session.flush()
    except BaseException:
        discard_stored(directory=directory, stored=stored)
        raise
    audit.record_access(
        session=session,
        actor=actor,
        action="create",
        subject_type="second_opinion",
        subject_id=request.id,
        patient_user_id=patient_id,
        now=now,
    )
    return request, stored


def request_for(
    *, session: Session, actor: Actor, request_id: int, now: datetime, action: str = "read"
) -> SecondOpinionRequest:
    """The request if the actor may see it (its patient, or staff), audited."""
    request = repository.opinion_request(session=session, request_id=request_id)
    if request is None:
        raise NotFound("no such second-opinion request")
    actor.ensure_may_see_patient(request.patient_id)
    audit.record_access(
        session=session,
        actor=actor,
        action=action,
        subject_type="second_opinion",
        subject_id=request.id,
        patient_user_id=request.patient_id,
        now=now,
    )
    return request


def list_requests(
    *,
    session: Session,
    actor: Actor,
    patient_id: int | None,
    status: SecondOpinionStatus | None,
    limit: int,
    offset: int,
    now: datetime,
) -> tuple[Sequence[SecondOpinionRequest], int]:
    """Patients see their own; staff see the queue, filtered."""
    if actor.is_patient:
        patient_id = actor.user_id
    rows, total = repository.queue(
        session=session,
        patient_id=patient_id,
        status=status.value if status else None,
        limit=limit,
        offset=offset,
    )
    for row in rows:
        audit.record_access(
            session=session,
            actor=actor,
            action="read",
            subject_type="second_opinion",
            subject_id=row.id,
            patient_user_id=row.patient_id,
            now=now,
        )
    return rows, total


def start_review(
    *, session: Session, actor: Actor, request_id: int, now: datetime
) -> SecondOpinionRequest:
    reviewer = actor.require_role(Role.clinician)
    request = request_for(
        session=session, actor=actor, request_id=request_id, now=now, action="update"
    )
    if request.status != SecondOpinionStatus.received.value:
        raise Conflict(f"this request is already {request.status.replace('_', ' ')}")
    request.status = SecondOpinionStatus.in_review.value
    request.reviewer_user_id = reviewer
    request.updated_at = now
    session.flush()
    return request


def assign(
    *, session: Session, actor: Actor, request_id: int, reviewer_user_id: int, now: datetime
) -> SecondOpinionRequest:
    """The front desk (or a clinician) hands a request to a clinician, who then answers it.

    The reviewer must be an active clinician's account; an answered request keeps the
    clinician who answered it."""
    actor.require_role(Role.front_desk, Role.admin, Role.clinician)
    reviewer = accounts_repository.user_by_id(session=session, user_id=reviewer_user_id)
    if reviewer is None or reviewer.role != Role.clinician.value or not reviewer.is_active:
        raise InvalidInput("choose one of the clinic's clinicians", field="reviewer_user_id")
    request = request_for(
        session=session, actor=actor, request_id=request_id, now=now, action="update"
    )
    if request.status == SecondOpinionStatus.answered.value:
        raise Conflict("this request has already been answered")
    request.status = SecondOpinionStatus.in_review.value
    request.reviewer_user_id = reviewer.id
    request.updated_at = now
    session.flush()
    return request


def answer(
    *, session: Session, actor: Actor, request_id: int, opinion: str, now: datetime
) -> SecondOpinionRequest:
    """The clinician's written opinion; the patient is told it is ready (never what it says)."""
    reviewer = actor.require_role(Role.clinician)
    request = request_for(
        session=session, actor=actor, request_id=request_id, now=now, action="update"
    )
    if request.status == SecondOpinionStatus.answered.value:
        raise Conflict("this request has already been answered")
    if request.reviewer_user_id not in (None, reviewer):
        raise Conflict("another clinician is reviewing this request")
    request.status = SecondOpinionStatus.answered.value
    request.reviewer_user_id = reviewer
    request.opinion = opinion.strip()
    request.answered_at = now
    request.updated_at = now
    outbox.enqueue(
        session=session,
        kind="second_opinion_answered",
        recipient_user_id=request.patient_id,
        appointment_id=None,
        now=now,
        channels=("email",),
    )
    session.flush()
    return request


def download(
    *,
    session: Session,
    actor: Actor,
    request_id: int,
    file_id: int,
    directory: Path,
    now: datetime,
) -> Download:
    request = repository.opinion_request(session=session, request_id=request_id)
    if request is None:
        raise NotFound("no such second-opinion request")
    actor.ensure_may_see_patient(request.patient_id)
    row = repository.opinion_file(session=session, request_id=request_id, file_id=file_id)
    if row is None:
        raise NotFound("no such file", field="file_id")
    try:
        data = read_upload(directory=directory, stored_name=row.stored_name, sha256=row.sha256)
    except UploadCorrupted as error:
        raise StoredFileDamaged(
            "this file was damaged in storage and cannot be shown; the clinic will ask for it again"
        ) from error
    audit.record_access(
        session=session,
        actor=actor,
        action="read",
        subject_type="second_opinion_file",
        subject_id=row.id,
        patient_user_id=request.patient_id,
        now=now,
    )
    kind = UploadKind.of_content_type(row.content_type)
    position = repository.file_position(session=session, request_id=request_id, file_id=row.id)
    return Download(
        file=row,
        data=data,
        content_type=kind.content_type if kind else "application/octet-stream",
        download_name=download_name(
            request_id=request_id, position=position, content_type=row.content_type
        ),
    )
