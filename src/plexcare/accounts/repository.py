"""Queries for accounts and tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from plexcare.accounts.models import AccessToken, User


def user_by_email(*, session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.lower()))


def user_by_id(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def token_by_hash(*, session: Session, token_hash: str) -> AccessToken | None:
    return session.scalar(select(AccessToken).where(AccessToken.token_hash == token_hash))


def live_token_owner(*, session: Session, token_hash: str, kind: str, now: datetime) -> User | None:
    """The active user holding a live (unrevoked, unexpired) token of this kind.

    One query rather than token-then-user, because every signed-in request asks it.
    """
    return session.scalar(
        select(User)
        .join(AccessToken, AccessToken.user_id == User.id)
        .where(
            AccessToken.token_hash == token_hash,
            AccessToken.kind == kind,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > now,
            User.is_active.is_(True),
        )
    )


_LIVE_TOKEN_HOLDER = (
    select(User.id, User.role)
    .join(AccessToken, AccessToken.user_id == User.id)
    .where(
        AccessToken.token_hash == bindparam("token_hash"),
        AccessToken.kind == bindparam("kind"),
        AccessToken.revoked_at.is_(None),
        AccessToken.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
)
"""Built once rather than per request: constructing a statement costs more Python time than
the database spends on this indexed lookup."""


def live_token_holder(
    *, session: Session, token_hash: str, kind: str, now: datetime
) -> tuple[int, str] | None:
    """The id and role of the active user holding a live token of this kind.

    The same rule as `live_token_owner` without loading the whole account: every signed-in
    request asks it, and who is asking needs only these two columns.
    """
    row = session.execute(
        _LIVE_TOKEN_HOLDER, {"token_hash": token_hash, "kind": kind, "now": now}
    ).first()
    return (row[0], row[1]) if row is not None else None


def list_users(
    *, session: Session, role: str | None, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = session.scalars(query.order_by(User.id).limit(limit).offset(offset)).all()
    return users, total
