"""Queries for accounts and tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
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


def list_users(
    *, session: Session, role: str | None, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = session.scalars(query.order_by(User.id).limit(limit).offset(offset)).all()
    return users, total
