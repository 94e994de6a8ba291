"""`POST /api/v1/appointments` for a signed-in patient's plain booking, ahead of FastAPI.

A patient's plain booking on PostgreSQL costs the database one or two statements
(`quick_booking`); answered through FastAPI it cost the app as much again in routing and
dependency solving (measured with py-spy: a fifth of the app's CPU went to `solve_dependencies`
alone). This layer sits inside every protection (security headers, body limits) and answers
that one request itself when it has:

- a bearer token of a patient: one this process remembers (`TokenHolders`), or, the first
  time it is seen, one the database finds live by the rule FastAPI's `current_actor` applies
  (`accounts.holder_of_bearer_token_on`), which is then remembered as that would remember it;
- a JSON body that `BookingRequest` accepts, read as FastAPI reads it;
- a well-formed `Idempotency-Key`, or none;
- a booking `quick_booking` makes.

Anything else (another route, a cookie, a token that is not a patient's live one, a body or
key FastAPI would refuse, a booking the quick path leaves) passes on to FastAPI untouched, with
the body it has read handed on, and is answered there exactly as before, by the same
functions. So this layer adds no rule of its own: it only skips the work that gives the same
answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plexcare.accounts import service as accounts
from plexcare.accounts.actor import Actor
from plexcare.accounts.token_holders import TokenHolders
from plexcare.db import utc_now
from plexcare.errors import ServiceError
from plexcare.postgres_pools import PostgresPools
from plexcare.scheduling import idempotency, quick_booking
from plexcare.scheduling.routes import (
    BOOKING_PATH,
    book_quickly,
    booking_fingerprint,
    booking_rounds_of,
    rules_memory_of,
)
from plexcare.scheduling.schemas import BookingRequest
from plexcare.web.dependencies import (
    bearer_token,
    client_ip_of,
    get_now,
    postgres_pools_of,
    token_holders_of,
)


class QuickBookingRoute:
    """Pure ASGI middleware: a patient's plain booking answered without FastAPI's routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pools = (
            postgres_pools_of(scope["app"])
            if scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == BOOKING_PATH
            else None
        )
        if pools is None:
            await self.app(scope, receive, send)
            return
        body = await _whole_body(receive)
        answer = await _quick_answer(scope, body, pools)
        if answer is None:
            await self.app(scope, _replaying(body, receive), send)
            return
        appointment_id, answer_json = answer
        content = answer_json.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(content)).encode()),
                    (b"location", f"{BOOKING_PATH}/{appointment_id}".encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


async def _whole_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app behind: the body already read, then the client's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _quick_answer(scope: Scope, body: bytes, pools: PostgresPools) -> tuple[int, str] | None:
    """(appointment id, answer JSON) when the quick path booked; None to pass the request on."""
    app = scope["app"]
    headers = _headers(scope)
    raw_token = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
    if raw_token is None:
        return None
    media_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    if media_type != b"application/json":
        return None
    now = await _request_now(app)
    remembered = token_holders_of(app)
    holder = accounts.remembered_holder_of_token(
        raw_token=raw_token, now=now, remembered=remembered
    ) or await _holder_from_database(pools, raw_token, now, remembered)
    if holder is None:
        return None
    try:
        asked = BookingRequest.model_validate(orjson.loads(body))
        raw_key = headers.get(b"idempotency-key")
        key = None if raw_key is None else idempotency.check_key(raw_key.decode("latin-1"))
    except (orjson.JSONDecodeError, ValidationError, ServiceError, UnicodeDecodeError):
        return None
    client = scope.get("client")
    forwarded_for = [
        value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"
    ]
    actor = Actor(
        user_id=holder[0],
        role=holder[1],
        client_ip=client_ip_of(app, client[0] if client else None, forwarded_for),
    )
    scope.setdefault("state", {})[quick_booking.TRIED] = True
    booked = await book_quickly(
        pools=pools,
        memory=rules_memory_of(app),
        rounds=booking_rounds_of(app),
        actor=actor,
        body=asked,
        now=now,
        key=key,
        fingerprint=booking_fingerprint(asked),
    )
    return None if booked is None else (booked.appointment_id, booked.answer_json)


async def _holder_from_database(
    pools: PostgresPools, raw_token: str, now: datetime, remembered: TokenHolders
) -> tuple[int, str] | None:
    """Who holds a token this process has not seen lately, by `live_token_holder`'s rule; None
    (FastAPI then answers, and refuses a token that is not live) also when the database
    cannot be asked."""
    try:
        pool = await pools.pool()
        async with pool.acquire() as connection:
            return await accounts.holder_of_bearer_token_on(
                connection, raw_token=raw_token, now=now, remembered=remembered
            )
    except (asyncpg.PostgresError, *quick_booking.UNREACHABLE):
        return None


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by lower-case name (ASGI gives them lower-cased); where a name
    repeats, the first, as Starlette's `Headers.get` reads it."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        found.setdefault(name, value)
    return found


async def _request_now(app: Any) -> datetime:
    """The request's clock as FastAPI's `Now` gives it, a test's override included."""
    clock: Callable[[], Any] = app.dependency_overrides.get(get_now, utc_now)
    now = clock()
    if inspect.isawaitable(now):
        now = await now
    assert isinstance(now, datetime)
    return now
