"""Queries for accounts, tokens and the sign-in throttle's rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import Row, bindparam, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.orm import Session

from plexcare.accounts.login_throttle import ThrottleState
from plexcare.accounts.models import AccessToken, LoginThrottle, User
from plexcare.accounts.token_holders import TokenHolder

ThrottleKey = tuple[str, str]
"""(scope, key) of a `LoginThrottle` row."""


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
    select(User.id, User.role, AccessToken.expires_at)
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
) -> TokenHolder | None:
    """The id and role of the active user holding a live token of this kind, and when the
    token expires.

    The same rule as `live_token_owner` without loading the whole account: every signed-in
    request asks it, and who is asking needs only these columns.
    """
    row = session.execute(
        _LIVE_TOKEN_HOLDER, {"token_hash": token_hash, "kind": kind, "now": now}
    ).first()
    return TokenHolder(user_id=row[0], role=row[1], expires_at=row[2]) if row else None


_LIVE_TOKEN_HOLDER_ON_ASYNCPG = _LIVE_TOKEN_HOLDER.compile(
    dialect=PGDialect_asyncpg()  # type: ignore[no-untyped-call]
)
"""The same statement for asyncpg (`$1` parameters, in the order of `positiontup`), so the
quick booking's first sight of a token is judged by the one rule."""


async def live_token_holder_on(
    connection: asyncpg.Connection, *, token_hash: str, kind: str, now: datetime
) -> TokenHolder | None:
    """`live_token_holder` through an asyncpg connection, for code on the event loop."""
    values = {"token_hash": token_hash, "kind": kind, "now": now}
    compiled = _LIVE_TOKEN_HOLDER_ON_ASYNCPG
    row = await connection.fetchrow(
        str(compiled), *(values[name] for name in compiled.positiontup or ())
    )
    return TokenHolder(user_id=row[0], role=row[1], expires_at=row[2]) if row else None


def list_users(
    *, session: Session, role: str | None, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = session.scalars(query.order_by(User.id).limit(limit).offset(offset)).all()
    return users, total


_THROTTLE_STATE = (
    LoginThrottle.scope,
    LoginThrottle.key,
    LoginThrottle.failures,
    LoginThrottle.streak_started_at,
    LoginThrottle.last_failure_at,
    LoginThrottle.locked_until,
    LoginThrottle.lockouts,
)


_ThrottleRow = Row[str, str, int, datetime | None, datetime | None, datetime | None, int]


def _state(row: _ThrottleRow) -> ThrottleState:
    return ThrottleState(
        failures=row.failures,
        streak_started_at=row.streak_started_at,
        last_failure_at=row.last_failure_at,
        locked_until=row.locked_until,
        lockouts=row.lockouts,
    )


def _matching(keys: Iterable[ThrottleKey]) -> Any:
    return or_(
        *(
            (LoginThrottle.scope == scope) & (LoginThrottle.key == key)
            for scope, key in sorted(set(keys))
        )
    )


def login_throttles(
    *, session: Session, keys: Iterable[ThrottleKey]
) -> dict[ThrottleKey, ThrottleState]:
    """The stored state of each key, without locking (a key never seen has a clean state)."""
    wanted = sorted(set(keys))
    found = {
        (row.scope, row.key): _state(row)
        for row in session.execute(select(*_THROTTLE_STATE).where(_matching(wanted)))
    }
    return {key: found.get(key, ThrottleState()) for key in wanted}


def lock_login_throttles(
    *, session: Session, keys: Iterable[ThrottleKey], now: datetime
) -> dict[ThrottleKey, ThrottleState]:
    """Each key's state, read under its row lock, which is held until the transaction ends.

    An upsert creates a row never seen and locks it in the same statement; keys are locked in
    one fixed order, so two sign-ins never wait for each other in a circle.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    states: dict[ThrottleKey, ThrottleState] = {}
    for scope, key in sorted(set(keys)):
        upsert: postgresql.Insert | sqlite.Insert = (
            postgresql.insert(LoginThrottle) if postgres else sqlite.insert(LoginThrottle)
        )
        upsert = upsert.values(
            scope=scope, key=key, failures=0, lockouts=0, refused=0, updated_at=now
        )
        row = session.execute(
            upsert.on_conflict_do_update(
                index_elements=["scope", "key"], set_={"updated_at": upsert.excluded.updated_at}
            ).returning(*_THROTTLE_STATE)
        ).one()
        states[(scope, key)] = _state(row)
    return states


def save_login_throttle(
    *, session: Session, key: ThrottleKey, state: ThrottleState, now: datetime
) -> None:
    """Write a key's new state (its row is locked by `lock_login_throttles`)."""
    session.execute(
        update(LoginThrottle)
        .where(_matching([key]))
        .values(
            failures=state.failures,
            streak_started_at=state.streak_started_at,
            last_failure_at=state.last_failure_at,
            locked_until=state.locked_until,
            lockouts=state.lockouts,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


def count_refused_sign_ins(*, session: Session, keys: Iterable[ThrottleKey]) -> None:
    """One more attempt turned away while these keys were locked (an atomic increment per
    row, in the same order `lock_login_throttles` takes them, so the two never deadlock)."""
    for key in sorted(set(keys)):
        session.execute(
            update(LoginThrottle)
            .where(_matching([key]))
            .values(refused=LoginThrottle.refused + 1)
            .execution_options(synchronize_session=False)
        )


def forget_idle_login_throttles(*, session: Session, idle_since: datetime, batch: int) -> None:
    """Delete up to `batch` rows untouched since `idle_since` and no longer locked.

    Rows another sign-in holds are skipped rather than waited for, so tidying never makes a
    sign-in wait or deadlock.
    """
    idle = (
        select(LoginThrottle.scope, LoginThrottle.key)
        .where(
            LoginThrottle.updated_at < idle_since,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < idle_since),
        )
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(LoginThrottle)
        .where(tuple_(LoginThrottle.scope, LoginThrottle.key).in_(idle))
        .execution_options(synchronize_session=False)
    )
