"""What the second-opinion pages show, built without web code so tests can read it directly.

A patient reads their own requests: the question, the files as they named them, where the
request stands and, once answered, the clinician's opinion. Staff read the same request with
the patient's name and the reviewer, and the queue oldest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from plexcare.accounts.models import User
from plexcare.portal.layout import PortalPage, when_label
from plexcare.second_opinions.models import SecondOpinionFile, SecondOpinionRequest
from plexcare.second_opinions.uploads import ACCEPTED_KINDS_TEXT, describe_size

STATUS_LABELS = {
    "received": "Received: waiting for a clinician",
    "in_review": "In review with a clinician",
    "answered": "Answered",
}
"""Where a request stands, in the words its patient reads."""

DONE_MESSAGES = {
    "sent": "Your request has been sent. A clinician will read it with your files; we will "
    "e-mail you when the answer is ready.",
    "assigned": "The request has been assigned.",
    "taken": "You are now reviewing this request.",
    "answered": "The answer has been saved and the patient has been told it is ready.",
}


@dataclass(frozen=True)
class FileRow:
    name: str
    size: str
    kind: str
    href: str


@dataclass(frozen=True)
class RequestRow:
    """One request as a list or a detail page shows it."""

    id: int
    question: str
    status: str
    status_label: str
    sent: str
    files: tuple[FileRow, ...]
    opinion: str | None
    answered: str
    patient_name: str = ""
    reviewer_name: str = ""
    reviewer_user_id: int | None = None

    @property
    def excerpt(self) -> str:
        text = " ".join(self.question.split())
        return text if len(text) <= 140 else f"{text[:139]}…"


@dataclass(frozen=True, kw_only=True)
class RequestFormPage(PortalPage):
    """The patient's form: a question and files, with the limits said up front."""

    question: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    accepted: str = ACCEPTED_KINDS_TEXT
    size_limit: str = ""
    max_files: int = 10
    question_limits: tuple[int, int] = (10, 5000)


@dataclass(frozen=True, kw_only=True)
class MyRequestsPage(PortalPage):
    requests: tuple[RequestRow, ...]


@dataclass(frozen=True, kw_only=True)
class RequestPage(PortalPage):
    request: RequestRow
    done: str = ""


@dataclass(frozen=True)
class ClinicianChoice:
    user_id: int
    name: str


@dataclass(frozen=True, kw_only=True)
class DeskQueuePage(PortalPage):
    requests: tuple[RequestRow, ...]
    status: str
    statuses: tuple[tuple[str, str], ...]
    clinicians: tuple[ClinicianChoice, ...]
    may_assign: bool
    done: str = ""


@dataclass(frozen=True, kw_only=True)
class DeskRequestPage(PortalPage):
    request: RequestRow
    clinicians: tuple[ClinicianChoice, ...]
    may_assign: bool
    may_answer: bool
    viewer_user_id: int
    opinion: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    done: str = ""


def file_rows(request_id: int, files: Sequence[SecondOpinionFile]) -> tuple[FileRow, ...]:
    return tuple(
        FileRow(
            name=item.original_name,
            size=describe_size(item.size),
            kind=item.content_type.rpartition("/")[2].upper(),
            href=f"/api/v1/second-opinions/{request_id}/files/{item.id}",
        )
        for item in files
    )


def request_row(
    row: SecondOpinionRequest,
    files: Sequence[SecondOpinionFile],
    zone: ZoneInfo,
    *,
    people: Mapping[int, User] | None = None,
) -> RequestRow:
    known = people or {}
    patient = known.get(row.patient_id)
    reviewer = known.get(row.reviewer_user_id) if row.reviewer_user_id is not None else None
    return RequestRow(
        id=row.id,
        question=row.question,
        status=row.status,
        status_label=STATUS_LABELS.get(row.status, row.status),
        sent=when_label(row.created_at, zone),
        files=file_rows(row.id, files),
        opinion=row.opinion,
        answered=when_label(row.answered_at, zone) if row.answered_at else "",
        patient_name=patient.full_name if patient else "",
        reviewer_name=reviewer.full_name if reviewer else "",
        reviewer_user_id=row.reviewer_user_id,
    )
