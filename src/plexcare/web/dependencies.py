"""Request-scoped dependencies: the database session, the clock, and who is asking.

Routes are closed by default: a route gets an `Actor` only through `require_roles` or
`current_actor`; public routes are the ones that visibly ask for neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.actor import ANONYMOUS, Actor
from plexcare.accounts.roles import Role
from plexcare.config import get_settings
from plexcare.db import session_factory, utc_now
from plexcare.errors import Forbidden, NotAuthenticated

SESSION_COOKIE = "plexcare_session"


def database_url(request: Request) -> str:
    """The app's database: `app.state.database_url` when set (tests, `serve`), else settings."""
    url = getattr(request.app.state, "database_url", None)
    return str(url) if url else get_settings().database_url


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; the route commits, and anything uncommitted is rolled back."""
    session = session_factory(database_url(request))()
    try:
        yield session
    finally:
        session.close()


def get_now() -> datetime:
    """The request's clock; tests override it to travel in time."""
    return utc_now()


DbSession = Annotated[Session, Depends(get_session)]
Now = Annotated[datetime, Depends(get_now)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_actor(request: Request, session: DbSession, now: Now) -> Actor:
    """The caller from a bearer token (API) or a session cookie (pages); anonymous otherwise.

    A token that is present but wrong is refused outright rather than treated as anonymous, so
    a client with an expired token learns it at once.
    """
    ip = client_ip(request)
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, raw = authorization.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise NotAuthenticated("use an 'Authorization: Bearer <token>' header")
        user = accounts.user_for_token(
            session=session, raw_token=raw.strip(), kind="bearer", now=now
        )
        if user is None:
            raise NotAuthenticated("the access token is invalid or expired")
        return Actor(user_id=user.id, role=user.role, client_ip=ip)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        user = accounts.user_for_token(session=session, raw_token=cookie, kind="session", now=now)
        if user is not None:
            return Actor(user_id=user.id, role=user.role, client_ip=ip)
    return Actor(user_id=None, role=ANONYMOUS, client_ip=ip)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_roles(*roles: Role) -> Callable[[Actor], Actor]:
    """A dependency that lets through only signed-in users with one of `roles`."""

    def dependency(actor: CurrentActor) -> Actor:
        if actor.user_id is None:
            raise NotAuthenticated("sign in first")
        if actor.role not in roles:
            raise Forbidden("your role may not do this")
        return actor

    return dependency


ALL_ROLES = (Role.patient, Role.clinician, Role.front_desk, Role.admin)
SignedIn = Annotated[Actor, Depends(require_roles(*ALL_ROLES))]
Staff = Annotated[Actor, Depends(require_roles(Role.clinician, Role.front_desk, Role.admin))]
Desk = Annotated[Actor, Depends(require_roles(Role.front_desk, Role.admin))]
Admin = Annotated[Actor, Depends(require_roles(Role.admin))]


class Page:
    """`limit`/`offset` query parameters shared by every list endpoint."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> None:
        self.limit = limit
        self.offset = offset


Paging = Annotated[Page, Depends(Page)]
