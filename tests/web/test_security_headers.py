"""Every response carries the security headers; HSTS and `Secure` cookies only over HTTPS, where
HTTPS is the connection's own scheme or a trusted proxy's X-Forwarded-Proto."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plexcare.app import create_app
from plexcare.config import Settings
from plexcare.web.security_headers import PAGE_POLICY

EVERYWHERE = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
HSTS = "strict-transport-security"

pytestmark = pytest.mark.usefixtures("scratch_database")


def crashing_app(settings: Settings | None = None) -> FastAPI:
    app = create_app(settings)

    def crash() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/crash", crash)
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(crashing_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def answers(client: TestClient) -> dict[str, httpx.Response]:
    """One response of each kind the site gives, none needing a database."""
    return {
        "html page": client.get("/"),
        "html form with a cookie": client.get("/login"),
        "stylesheet": client.get("/static/css/plexcare.css"),
        "json": client.get("/openapi.json"),
        "404": client.get("/no/such/page"),
        "413": client.post("/api/v1/auth/session", content=b"x" * (2 * 1024 * 1024)),
        "422": client.post("/api/v1/auth/session", json={}),
        "500": client.get("/crash"),
    }


def test_every_kind_of_response_carries_the_security_headers(client: TestClient) -> None:
    seen = answers(client)
    assert {kind: answer.status_code for kind, answer in seen.items()} == {
        "html page": 200,
        "html form with a cookie": 200,
        "stylesheet": 200,
        "json": 200,
        "404": 404,
        "413": 413,
        "422": 422,
        "500": 500,
    }
    for kind, answer in seen.items():
        for name, value in EVERYWHERE.items():
            assert answer.headers.get(name) == value, (kind, name)
        policy = answer.headers.get("content-security-policy", "")
        assert policy == PAGE_POLICY, kind
        assert "permissions-policy" in answer.headers, kind
        assert HSTS not in answer.headers, kind


def test_the_page_policy_allows_this_site_alone_and_no_framing() -> None:
    directives = dict(part.split(" ", 1) for part in PAGE_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "script-src" not in directives
    assert "http" not in PAGE_POLICY
    assert "'unsafe-inline'" not in directives["default-src"]


def test_the_api_documentation_loads_swagger_ui_from_this_site_only(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    policy = docs.headers["content-security-policy"]
    assert (
        "http" not in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in policy
    assert "https://cdn.jsdelivr.net" not in docs.text
    assert client.get("/").headers["content-security-policy"] == PAGE_POLICY
    assert client.get("/docs-not").headers["content-security-policy"] == PAGE_POLICY


def test_over_plain_http_cookies_are_not_marked_secure(client: TestClient) -> None:
    cookie = client.get("/login").headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "secure" not in cookie.lower()


def test_over_https_every_response_has_hsts_and_every_cookie_is_secure() -> None:
    with TestClient(
        crashing_app(), base_url="https://testserver", raise_server_exceptions=False
    ) as client:
        seen = answers(client)
    for kind, answer in seen.items():
        assert answer.headers.get(HSTS) == "max-age=31536000", kind
    cookies = seen["html form with a cookie"].headers.get_list("set-cookie")
    assert cookies
    assert all(cookie.endswith("; Secure") or "; secure" in cookie.lower() for cookie in cookies)


def test_secure_cookies_setting_marks_cookies_secure_even_over_http() -> None:
    with TestClient(create_app(Settings(secure_cookies=True))) as client:
        answer = client.get("/login")
    assert "secure" in answer.headers["set-cookie"].lower()
    assert HSTS not in answer.headers


def test_anyone_claiming_https_in_a_header_gets_no_hsts() -> None:
    with TestClient(create_app(), client=("203.0.113.9", 50000)) as client:
        answer = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert HSTS not in answer.headers
    assert "secure" not in answer.headers["set-cookie"].lower()


def test_a_trusted_proxy_saying_https_gets_hsts_and_secure_cookies() -> None:
    settings = Settings(trusted_proxies=("10.0.0.0/8",))
    with TestClient(create_app(settings), client=("10.1.2.3", 50000)) as client:
        over_https = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        over_http = client.get("/login", headers={"X-Forwarded-Proto": "http"})
    assert over_https.headers[HSTS] == "max-age=31536000"
    assert "secure" in over_https.headers["set-cookie"].lower()
    assert HSTS not in over_http.headers
