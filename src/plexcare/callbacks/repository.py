"""Queries for callback requests: the desk's queue, the rate limit's counts and its locks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plexcare.callbacks.models import CallbackRateKey, CallbackRequest

OPEN_STATUSES = ("new", "in_progress")


def callback_request(
    *, session: Session, callback_id: int, for_update: bool = False
) -> CallbackRequest | None:
    """The request; `for_update` locks its row (PostgreSQL) and re-reads it, so two desks
    changing one request at once act one after the other on what the first left."""
    if not for_update:
        return session.get(CallbackRequest, callback_id)
    return session.get(CallbackRequest, callback_id, with_for_update=True, populate_existing=True)


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


def lock_rate_keys(*, session: Session, keys: Iterable[tuple[str, str]], now: datetime) -> None:
    """Hold the lock of each (kind, key) row until the transaction ends, creating the row if
    it is new (an upsert: the one statement that locks a row that may not exist yet).

    Keys are locked in one fixed order, so two requests sharing keys never wait for each other
    in a circle. SQLite runs every write transaction alone (`BEGIN IMMEDIATE`); the upsert
    keeps the one code path.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    for kind, key in sorted(set(keys)):
        upsert: postgresql.Insert | sqlite.Insert = (
            postgresql.insert(CallbackRateKey) if postgres else sqlite.insert(CallbackRateKey)
        )
        upsert = upsert.values(kind=kind, key=key, touched_at=now)
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=["kind", "key"], set_={"touched_at": upsert.excluded.touched_at}
            )
        )


def forget_idle_rate_keys(*, session: Session, idle_since: datetime, batch: int = 100) -> None:
    """Delete up to `batch` lock rows untouched since `idle_since` (they count nothing any more).

    Rows another request holds are skipped rather than waited for, so tidying never makes a
    request wait or deadlock.
    """
    idle = (
        select(CallbackRateKey.kind, CallbackRateKey.key)
        .where(CallbackRateKey.touched_at < idle_since)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(CallbackRateKey)
        .where(tuple_(CallbackRateKey.kind, CallbackRateKey.key).in_(idle))
        .execution_options(synchronize_session=False)
    )


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
