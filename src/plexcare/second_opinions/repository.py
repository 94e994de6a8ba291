"""Queries for second-opinion requests and their files."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.second_opinions.models import SecondOpinionFile, SecondOpinionRequest


def opinion_request(*, session: Session, request_id: int) -> SecondOpinionRequest | None:
    return session.get(SecondOpinionRequest, request_id)


def files_of(*, session: Session, request_ids: Sequence[int]) -> dict[int, list[SecondOpinionFile]]:
    found: dict[int, list[SecondOpinionFile]] = {request_id: [] for request_id in request_ids}
    if not request_ids:
        return found
    rows = session.scalars(
        select(SecondOpinionFile)
        .where(SecondOpinionFile.request_id.in_(list(request_ids)))
        .order_by(SecondOpinionFile.id)
    )
    for row in rows:
        found[row.request_id].append(row)
    return found


def opinion_file(*, session: Session, request_id: int, file_id: int) -> SecondOpinionFile | None:
    return session.scalar(
        select(SecondOpinionFile).where(
            SecondOpinionFile.id == file_id, SecondOpinionFile.request_id == request_id
        )
    )


def file_position(*, session: Session, request_id: int, file_id: int) -> int:
    """1 for a request's first file, 2 for its second: the order they were stored in."""
    return (
        session.scalar(
            select(func.count())
            .select_from(SecondOpinionFile)
            .where(SecondOpinionFile.request_id == request_id, SecondOpinionFile.id <= file_id)
        )
        or 1
    )


def queue(
    *, session: Session, patient_id: int | None, status: str | None, limit: int, offset: int
) -> tuple[Sequence[SecondOpinionRequest], int]:
    """Oldest first: the queue is worked in the order patients asked."""
    query = select(SecondOpinionRequest)
    if patient_id is not None:
        query = query.where(SecondOpinionRequest.patient_id == patient_id)
    if status is not None:
        query = query.where(SecondOpinionRequest.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(SecondOpinionRequest.created_at, SecondOpinionRequest.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total
