"""Queries for callback requests: the desk's queue and the rate limit's counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.callbacks.models import CallbackRequest

OPEN_STATUSES = ("new", "in_progress")


def callback_request(*, session: Session, callback_id: int) -> CallbackRequest | None:
    return session.get(CallbackRequest, callback_id)


def requested_since(
    *, session: Session, since: datetime, client_key: str | None = None, phone: str | None = None
) -> list[datetime]:
    """When accepted requests from this client (or for this number) were made since `since`."""
    query = select(CallbackRequest.created_at).where(CallbackRequest.created_at > since)
    if client_key is not None:
        query = query.where(CallbackRequest.client_key == client_key)
    if phone is not None:
        query = query.where(CallbackRequest.phone == phone)
    return list(session.scalars(query))


def queue(
    *,
    session: Session,
    status: str | None,
    owner_user_id: int | None,
    overdue_at: datetime | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[CallbackRequest], int]:
    """Most pressing first: the earliest response target at the top."""
    query = select(CallbackRequest)
    if status is not None:
        query = query.where(CallbackRequest.status == status)
    if owner_user_id is not None:
        query = query.where(CallbackRequest.owner_user_id == owner_user_id)
    if overdue_at is not None:
        query = query.where(
            CallbackRequest.status.in_(OPEN_STATUSES), CallbackRequest.due_at < overdue_at
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(CallbackRequest.due_at, CallbackRequest.id).limit(limit).offset(offset)
    ).all()
    return rows, total
