"""Queries for accounts and tokens."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plexcare.accounts.models import AccessToken, User


def user_by_email(*, session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.lower()))


def user_by_id(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def token_by_hash(*, session: Session, token_hash: str) -> AccessToken | None:
    return session.scalar(select(AccessToken).where(AccessToken.token_hash == token_hash))


def list_users(
    *, session: Session, role: str | None, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = session.scalars(query.order_by(User.id).limit(limit).offset(offset)).all()
    return users, total
