"""The layer ahead of FastAPI (`scheduling.quick_booking_route`): it answers a remembered
patient's plain booking itself, and hands every other request on to the app behind it, body
and all, untouched. Driven as ASGI, with an app behind it that records what reaches it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.types import Message, Receive, Scope, Send

from plexcare.accounts import service as accounts
from plexcare.accounts.models import AccessToken
from plexcare.accounts.token_holders import TokenHolders
from plexcare.audit.models import AuditEvent
from plexcare.scheduling.models import Appointment
from plexcare.scheduling.quick_booking_route import QuickBookingRoute
from tests.conftest_db import TEST_NOW, Personas, SmallClinic, make_app
from tests.scheduling.test_booking import TUESDAY_10, booking_body

pytestmark = pytest.mark.postgres

BEHIND = 299
"""The status the app behind the layer answers with, so a test sees who answered."""


class AppBehind:
    """Stands for FastAPI: records each request that reaches it and the body it could read."""

    def __init__(self) -> None:
        self.reached: list[tuple[str, bytes]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        self.reached.append((scope["path"], message.get("body", b"")))
        await send({"type": "http.response.start", "status": BEHIND, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _ask(
    app: FastAPI,
    behind: AppBehind,
    body: bytes,
    headers: dict[str, str],
    *,
    method: str = "POST",
    path: str = "/api/v1/appointments",
) -> tuple[int, dict[str, str], bytes]:
    """One request through the layer: (status, headers, body) of its answer."""
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": [
            (name.lower().encode(), value.encode())
            for name, value in {"content-type": "application/json", **headers}.items()
        ],
        "client": ("198.51.100.7", 50000),
        "app": app,
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        try:
            await QuickBookingRoute(behind)(scope, receive, send)
        finally:
            pools = getattr(app.state, "postgres_pools", None)
            if pools is not None:
                await pools.close()

    asyncio.run(run())
    start = sent[0]
    answer_headers = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], answer_headers, b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture
def app(postgres_url: str, people: Personas) -> FastAPI:
    """The app, having seen every persona's bearer token once (so it remembers them)."""
    made = make_app(postgres_url)
    with TestClient(made) as client:
        for headers in people.headers.values():
            if headers:
                assert client.get("/api/v1/me", headers=headers).status_code == 200
    return made


def _body(clinic_people: SmallClinic, **changes: object) -> bytes:
    return orjson.dumps({**booking_body(clinic_people), **changes})


def _appointments(session: Session) -> list[Appointment]:
    session.expire_all()
    return list(session.scalars(select(Appointment)))


def test_a_remembered_patient_is_booked_without_reaching_the_app_behind(
    app: FastAPI, people: Personas, clinic_people: SmallClinic, pg_session: Session
) -> None:
    behind = AppBehind()
    status, headers, body = _ask(
        app,
        behind,
        _body(clinic_people),
        {**people.headers["patient_a"], "Idempotency-Key": "first-booking"},
    )
    assert (status, behind.reached) == (201, [])
    answer = orjson.loads(body)
    assert headers["location"] == f"/api/v1/appointments/{answer['id']}"
    assert headers["content-type"] == "application/json"
    (booked,) = _appointments(pg_session)
    assert (booked.id, booked.patient_id, booked.starts_at) == (
        answer["id"],
        clinic_people.patient_a.id,
        TUESDAY_10,
    )
    # The app's clock (a test's `Now`), not the wall clock; and the caller's address.
    assert booked.created_at == TEST_NOW
    audit = pg_session.scalars(
        select(AuditEvent).where(
            AuditEvent.subject_type == "appointment", AuditEvent.subject_id == str(booked.id)
        )
    ).one()
    assert (audit.actor_user_id, audit.client_ip) == (clinic_people.patient_a.id, "198.51.100.7")


@pytest.mark.parametrize(
    ("who", "changes", "extra_headers"),
    [
        pytest.param("front_desk", {}, {}, id="staff booking for someone"),
        pytest.param("patient_a", {"room": 3}, {}, id="a field the request does not have"),
        pytest.param("patient_a", {"starts_at": "Tuesday"}, {}, id="a time that is no time"),
        pytest.param(
            "patient_a", {}, {"Idempotency-Key": "k" * 300}, id="an idempotency key too long"
        ),
        pytest.param(
            "patient_a",
            {"starts_at": (TUESDAY_10 + timedelta(minutes=7)).isoformat()},
            {},
            id="a time off the slot grid (the quick path leaves it)",
        ),
        pytest.param(
            "patient_a",
            {},
            {"Authorization": "Basic cGF0aWVudDpzZWNyZXQ="},
            id="not a bearer token",
        ),
        pytest.param("patient_a", {}, {"content-type": "text/plain"}, id="not JSON"),
        pytest.param(
            "patient_a", {}, {"content-type": "application/jsonp"}, id="a type that only starts so"
        ),
    ],
)
def test_anything_else_reaches_the_app_behind_with_its_body_and_nothing_written(
    app: FastAPI,
    people: Personas,
    clinic_people: SmallClinic,
    pg_session: Session,
    who: str,
    changes: dict[str, object],
    extra_headers: dict[str, str],
) -> None:
    behind = AppBehind()
    sent = _body(clinic_people, **changes)
    status, _, _ = _ask(app, behind, sent, {**people.headers[who], **extra_headers})
    assert (status, behind.reached) == (BEHIND, [("/api/v1/appointments", sent)])
    assert _appointments(pg_session) == []


def test_a_patients_token_this_process_has_not_seen_is_checked_and_then_remembered(
    app: FastAPI, people: Personas, clinic_people: SmallClinic, pg_session: Session
) -> None:
    """The first sight of a token is judged in the database, by the rule FastAPI applies; the
    patient is booked here, and the token is remembered as FastAPI would remember it."""
    app.state.token_holders = TokenHolders(60)
    behind = AppBehind()
    status, _, answer = _ask(app, behind, _body(clinic_people), people.headers["patient_a"])
    assert (status, behind.reached) == (201, [])
    booked = _appointments(pg_session)
    assert [a.patient_id for a in booked] == [clinic_people.patient_a.id]
    assert orjson.loads(answer)["id"] == booked[0].id
    raw = people.headers["patient_a"]["Authorization"].removeprefix("Bearer ")
    assert accounts.remembered_holder_of_token(
        raw_token=raw, now=TEST_NOW, remembered=app.state.token_holders
    ) == (clinic_people.patient_a.id, "patient")


@pytest.mark.parametrize("token", ["revoked", "unknown", "expired"])
def test_a_token_that_is_not_live_goes_to_the_app_behind_with_nothing_written(
    app: FastAPI,
    people: Personas,
    clinic_people: SmallClinic,
    pg_session: Session,
    token: str,
) -> None:
    app.state.token_holders = TokenHolders(60)
    headers = people.headers["patient_a"]
    raw = headers["Authorization"].removeprefix("Bearer ")
    if token == "revoked":
        accounts.revoke_token(session=pg_session, raw_token=raw, now=TEST_NOW)
        pg_session.commit()
    elif token == "unknown":
        headers = {"Authorization": "Bearer not-a-token-anyone-holds"}
    else:
        pg_session.execute(update(AccessToken).values(expires_at=TEST_NOW))
        pg_session.commit()
    behind = AppBehind()
    sent = _body(clinic_people)
    status, _, _ = _ask(app, behind, sent, headers)
    assert (status, behind.reached) == (BEHIND, [("/api/v1/appointments", sent)])
    assert _appointments(pg_session) == []


def test_other_routes_pass_untouched(app: FastAPI, people: Personas) -> None:
    behind = AppBehind()
    status, _, _ = _ask(
        app, behind, b"", people.headers["patient_a"], method="GET", path="/api/v1/appointments"
    )
    assert (status, behind.reached) == (BEHIND, [("/api/v1/appointments", b"")])


def test_through_the_whole_app_the_answer_carries_every_layers_headers(
    app: FastAPI, people: Personas, clinic_people: SmallClinic
) -> None:
    """The layer sits inside the security headers: its answer has them, as FastAPI's has."""
    with TestClient(app) as client:
        quick = client.post(
            "/api/v1/appointments",
            json=booking_body(clinic_people),
            headers=people.headers["patient_a"],
        )
        refused = client.post(
            "/api/v1/appointments",
            json={**booking_body(clinic_people), "room": 3},
            headers=people.headers["patient_a"],
        )
    assert (quick.status_code, refused.status_code) == (201, 422)
    for name in ("x-content-type-options", "content-security-policy", "referrer-policy"):
        assert quick.headers[name] == refused.headers[name]
