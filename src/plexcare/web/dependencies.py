"""Request-scoped dependencies: the database session, the clock, and who is asking.

Routes are closed by default: a route gets an `Actor` only through `require_roles` or
`current_actor`; public routes are the ones that visibly ask for neither.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from datetime import datetime
from functools import lru_cache, partial
from typing import Annotated, Any, TypeVar

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.actor import ANONYMOUS, Actor
from plexcare.accounts.roles import Role
from plexcare.accounts.token_holders import TokenHolders
from plexcare.config import get_settings
from plexcare.db import session_factory, utc_now
from plexcare.errors import Forbidden, NotAuthenticated
from plexcare.postgres_pools import PostgresPools, asyncpg_dsn
from plexcare.web.security_headers import TrustedProxies

SESSION_COOKIE = "plexcare_session"
Kept = TypeVar("Kept")


def kept_on(app: Any, name: str, make: Callable[[], Kept]) -> Kept:
    """What the app keeps for all its requests under `name` in its state, made by `make` on
    first use (made again while `make` gives None); a test may put its own there first."""
    state = app.state
    kept: Kept | None = getattr(state, name, None)
    if kept is None:
        kept = make()
        setattr(state, name, kept)
    return kept


def database_url(request: Request) -> str:
    """The app's database: `app.state.database_url` when set (tests, `serve`), else settings."""
    return _database_url_of(request.app)


def _database_url_of(app: Any) -> str:
    url = getattr(app.state, "database_url", None)
    return str(url) if url else get_settings().database_url


def on_sqlite(app: Any) -> bool:
    """Whether the app stores its data in SQLite (else PostgreSQL)."""
    return _database_url_of(app).startswith("sqlite")


ROLLBACK_THREADS = 4
"""Threads of their own for rolling back the sessions of routes that failed (`get_session`)."""
_rollback_threads: RunVar[CapacityLimiter] = RunVar("plexcare_rollback_threads")


def rollback_threads() -> CapacityLimiter:
    """The event loop's limiter for rollbacks, apart from the threadpool the routes share.

    A route that failed may hold row locks until its session is rolled back (a refused
    callback holds its number's rate-limit row). Rolled back in the shared threadpool, its
    turn came after every request already waiting there, and those could all be waiting on
    its locks: 200 callback requests at once for one number stopped a process for good.
    Rollbacks never wait behind requests here.
    """
    try:
        return _rollback_threads.get()
    except LookupError:
        limiter = CapacityLimiter(ROLLBACK_THREADS)
        _rollback_threads.set(limiter)
        return limiter


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; the route commits, and anything uncommitted is rolled back.

    `async` although the session is not: opening one does no I/O, and neither does closing
    one whose transaction the route committed, so the common case needs no threadpool hop
    (a plain `def` dependency costs two, in and out). A session still in a transaction (the
    route failed) is rolled back in a thread of `rollback_threads`, so a slow database never
    stalls the event loop and a failed route's locks never wait for the threadpool.
    """
    session = session_factory(database_url(request))()
    try:
        yield session
    finally:
        if session.in_transaction():
            await to_thread.run_sync(session.close, limiter=rollback_threads())
        else:
            session.close()


async def get_now() -> datetime:
    """The request's clock; tests override it to travel in time.

    `async` although it awaits nothing: FastAPI runs a plain `def` dependency in the
    threadpool, a thread hop per request for reading the clock.
    """
    return utc_now()


DbSession = Annotated[Session, Depends(get_session)]


def postgres_pools(request: Request) -> PostgresPools | None:
    """The app's asyncpg pools (`plexcare.postgres_pools`), made on first use; None on SQLite
    or with `PLEXCARE_QUICK_BOOKING` off, where every request takes the sync path."""
    return postgres_pools_of(request.app)


def postgres_pools_of(app: Any) -> PostgresPools | None:
    """`postgres_pools` for code that has the app but no request (an ASGI layer)."""

    def make() -> PostgresPools | None:
        dsn = asyncpg_dsn(_database_url_of(app))
        return None if dsn is None or not get_settings().quick_booking else PostgresPools(dsn)

    return kept_on(app, "postgres_pools", make)


Now = Annotated[datetime, Depends(get_now)]


@lru_cache(maxsize=4)
def _trusted(entries: tuple[str, ...]) -> TrustedProxies:
    return TrustedProxies(entries)


def forwarded_client(
    peer: str | None, forwarded_for: Sequence[str], *, proxies: TrustedProxies
) -> str | None:
    """The client's address: the socket peer, unless that peer is a trusted proxy.

    Behind trusted proxies, X-Forwarded-For is read from the right (each proxy appends the
    address it saw), skipping the trusted hops; the first address not in `proxies` is the
    client. Everything to the left of it was written by the client and proves nothing. An
    entry that is not an IP address stops the walk at the last trusted hop, so a garbled
    header can only make clients share one limit, never let one choose its own address.
    """
    if peer is None or peer not in proxies:
        return peer
    client = peer
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        try:
            client = str(ipaddress.ip_address(hop.strip()))
        except ValueError:
            return client
        if client not in proxies:
            return client
    return client


def client_ip(request: Request) -> str | None:
    """The one place the caller's address is worked out (rate limits, sign-in throttling and
    the audit log all use it); X-Forwarded-For counts only from the app's `trusted_proxies`.

    The server must hand over the socket peer untouched: uvicorn rewrites it from the header
    for 127.0.0.1 unless run with `proxy_headers=False`, as `plexcare serve` does.
    """
    return client_ip_of(
        request.app,
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
    )


def client_ip_of(app: Any, peer: str | None, forwarded_for: Sequence[str]) -> str | None:
    """`client_ip` for code that has the app and the request's parts but no request."""
    # The app's own, parsed once in `create_app`; a bare FastAPI app (a test's) uses settings.
    proxies: TrustedProxies | None = getattr(app, "proxies", None)
    if proxies is None:
        proxies = _trusted(tuple(get_settings().trusted_proxies))
    return forwarded_client(peer, forwarded_for, proxies=proxies)


async def client_address(request: Request) -> str | None:
    """`client_ip` as a dependency for public routes that have no actor (sign-in).

    `async` because it does no I/O: a plain `def` would cost a threadpool hop per request.
    """
    return client_ip(request)


ClientAddress = Annotated[str | None, Depends(client_address)]


def token_holders(request: Request) -> TokenHolders:
    """This app's memory of who holds which bearer token (`plexcare.accounts.token_holders`),
    made on first use with `PLEXCARE_TOKEN_CACHE_SECONDS`; a test may put its own in
    `app.state.token_holders` to move its clock."""
    return token_holders_of(request.app)


def token_holders_of(app: Any) -> TokenHolders:
    """`token_holders` for code that has the app but no request (an ASGI layer)."""
    return kept_on(app, "token_holders", lambda: TokenHolders(get_settings().token_cache_seconds))


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for any other scheme or
    an empty token."""
    scheme, _, raw = authorization.partition(" ")
    token = raw.strip()
    return token if scheme.lower() == "bearer" and token else None


async def current_actor(request: Request, session: DbSession, now: Now) -> Actor:
    """The caller from a bearer token (API) or a session cookie (pages); anonymous otherwise.

    A token that is present but wrong is refused outright rather than treated as anonymous, so
    a client with an expired token learns it at once.

    `async`, with the database asked in the threadpool only when it must be: a bearer token
    this process has just seen is answered from memory on the event loop, which saves every
    API request after the first a thread hop (a plain `def` costs one on each request).
    """
    ip = client_ip(request)
    authorization = request.headers.get("authorization", "")
    if authorization:
        raw = bearer_token(authorization)
        if raw is None:
            raise NotAuthenticated("use an 'Authorization: Bearer <token>' header")
        remembered = token_holders(request)
        holder = accounts.remembered_holder_of_token(
            raw_token=raw, now=now, remembered=remembered
        ) or await run_in_threadpool(
            partial(
                accounts.holder_of_token,
                session=session,
                raw_token=raw,
                kind="bearer",
                now=now,
                remembered=remembered,
            )
        )
        if holder is None:
            raise NotAuthenticated("the access token is invalid or expired")
        return Actor(user_id=holder[0], role=holder[1], client_ip=ip)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        # Pages show the signed-in user's name, so the whole account is loaded into the session
        # here; API calls above need only the id and role.
        user = await run_in_threadpool(
            partial(
                accounts.user_for_token, session=session, raw_token=cookie, kind="session", now=now
            )
        )
        if user is not None:
            return Actor(user_id=user.id, role=user.role, client_ip=ip)
    return Actor(user_id=None, role=ANONYMOUS, client_ip=ip)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_roles(*roles: Role) -> Callable[[Actor], Coroutine[Any, Any, Actor]]:
    """A dependency that lets through only signed-in users with one of `roles`.

    `async` because it does no I/O: a plain `def` would cost a threadpool hop per request.
    """

    async def dependency(actor: CurrentActor) -> Actor:
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
