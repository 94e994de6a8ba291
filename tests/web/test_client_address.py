"""The caller's address comes from X-Forwarded-For only when the socket peer is a trusted proxy;
anyone else's header is ignored, so it cannot dodge a rate limit or forge the audit log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plexcare.callbacks.models import CallbackRequest
from plexcare.config import get_settings
from plexcare.db import session_factory
from plexcare.web.dependencies import forwarded_client
from plexcare.web.security_headers import TrustedProxies
from tests.conftest_db import make_app

PROXIES = TrustedProxies(["10.0.0.5", "192.168.0.0/24"])


def test_an_untrusted_peer_is_the_client_whatever_header_it_sends() -> None:
    assert forwarded_client("203.0.113.9", ["198.51.100.77"], proxies=PROXIES) == "203.0.113.9"
    assert forwarded_client("127.0.0.1", ["198.51.100.77"], proxies=PROXIES) == "127.0.0.1"
    assert forwarded_client("203.0.113.9", [], proxies=TrustedProxies([])) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client() -> None:
    assert forwarded_client("10.0.0.5", ["198.51.100.77"], proxies=PROXIES) == "198.51.100.77"
    assert forwarded_client("10.0.0.5", [], proxies=PROXIES) == "10.0.0.5"


def test_addresses_the_client_wrote_itself_are_skipped() -> None:
    spoofed = ["6.6.6.6, 198.51.100.77"]
    assert forwarded_client("10.0.0.5", spoofed, proxies=PROXIES) == "198.51.100.77"
    through_two = ["6.6.6.6", "198.51.100.77, 192.168.0.20"]
    assert forwarded_client("10.0.0.5", through_two, proxies=PROXIES) == "198.51.100.77"


def test_a_garbled_header_falls_back_to_the_last_trusted_hop() -> None:
    assert forwarded_client("10.0.0.5", ["not-an-ip"], proxies=PROXIES) == "10.0.0.5"
    garbled = ["198.51.100.77, junk, 192.168.0.20"]
    assert forwarded_client("10.0.0.5", garbled, proxies=PROXIES) == "192.168.0.20"
    assert forwarded_client("10.0.0.5", ["2001:db8::1"], proxies=PROXIES) == "2001:db8::1"


@pytest.fixture
def behind_a_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The clinic's reverse proxy is 10.0.0.5, set as production sets it."""
    monkeypatch.setenv("PLEXCARE_TRUSTED_PROXIES", '["10.0.0.5"]')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def ask(client: TestClient, phone: str, forwarded_for: str) -> int:
    body = {"full_name": "Sam Caller", "phone": phone, "reason": "Please call me back."}
    headers = {"X-Forwarded-For": forwarded_for}
    return client.post("/api/v1/callbacks", json=body, headers=headers).status_code


def stored_client_keys(db_url: str) -> list[str]:
    with session_factory(db_url)() as session:
        query = select(CallbackRequest.client_key).order_by(CallbackRequest.id)
        return list(session.scalars(query))


def test_the_header_is_honoured_from_the_trusted_proxy_and_ignored_from_anyone_else(
    db_url: str, behind_a_proxy: None
) -> None:
    app = make_app(db_url)
    via_proxy = TestClient(app, client=("10.0.0.5", 5000))
    direct = TestClient(app, client=("203.0.113.9", 5000))
    local = TestClient(app, client=("127.0.0.1", 5000))

    assert ask(via_proxy, "020 7946 0001", "6.6.6.6, 198.51.100.77") == 201
    assert ask(direct, "020 7946 0002", "198.51.100.78") == 201
    assert ask(local, "020 7946 0003", "198.51.100.79") == 201

    assert stored_client_keys(db_url) == ["198.51.100.77", "203.0.113.9", "127.0.0.1"]


def test_a_caller_cannot_dodge_the_rate_limit_by_inventing_forwarded_addresses(
    db_url: str,
) -> None:
    direct = TestClient(make_app(db_url), client=("203.0.113.9", 5000))
    answers = [ask(direct, f"020 7946 00{i:02d}", f"198.51.100.{i}") for i in range(6)]
    assert answers == [201] * 5 + [429]
