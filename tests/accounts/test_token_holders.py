"""A bearer token's holder is remembered for a few seconds, and never past revocation's grace
or the token's own expiry."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from plexcare.accounts import service as accounts
from plexcare.accounts.roles import Role
from plexcare.accounts.token_holders import TokenHolders
from plexcare.web.dependencies import get_now
from tests.conftest_db import TEST_NOW, add_user, make_app

LIFETIME = 5.0


class StoppedClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def _bearer(session: Session) -> str:
    user = add_user(session, email="ann@example.org", role=Role.patient)
    raw, _ = accounts.issue_token(
        session=session, user=user, kind="bearer", now=TEST_NOW, lifetime=timedelta(days=1)
    )
    session.commit()
    return raw


def _revoke(session: Session, raw: str) -> None:
    """As an administrator's tool or another app process would: straight in the database."""
    accounts.revoke_token(session=session, raw_token=raw, now=TEST_NOW)
    session.commit()


def test_a_revoked_bearer_token_is_refused_once_the_remembered_holder_lapses(
    db_url: str, session: Session
) -> None:
    raw = _bearer(session)
    clock = StoppedClock()
    app = make_app(db_url)
    app.state.token_holders = TokenHolders(LIFETIME, clock=clock)
    headers = {"Authorization": f"Bearer {raw}"}
    with TestClient(app) as client:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        _revoke(session, raw)
        clock.seconds += LIFETIME - 0.5
        assert client.get("/api/v1/me", headers=headers).status_code == 200  # remembered
        clock.seconds += 0.5
        refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert "invalid or expired" in refused.json()["detail"]


def test_with_no_memory_a_revoked_bearer_token_is_refused_at_once(
    db_url: str, session: Session
) -> None:
    raw = _bearer(session)
    app = make_app(db_url)
    app.state.token_holders = TokenHolders(0)
    headers = {"Authorization": f"Bearer {raw}"}
    with TestClient(app) as client:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        _revoke(session, raw)
        assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_remembered_token_is_refused_the_moment_it_expires(db_url: str, session: Session) -> None:
    raw = _bearer(session)
    app = make_app(db_url)
    app.state.token_holders = TokenHolders(LIFETIME, clock=StoppedClock())
    headers = {"Authorization": f"Bearer {raw}"}
    with TestClient(app) as client:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        app.dependency_overrides[get_now] = lambda: TEST_NOW + timedelta(days=1)
        assert client.get("/api/v1/me", headers=headers).status_code == 401
