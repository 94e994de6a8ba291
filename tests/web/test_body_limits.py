"""Oversized bodies are refused with 413 problem+json before anything reads them: by the
declared Content-Length, or counted as they stream in when it is missing or lies."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from plexcare.app import create_app
from plexcare.config import Settings, get_settings
from plexcare.web.body_limits import MULTIPART_ALLOWANCE_BYTES
from tests.browser import served

PROBLEM = "application/problem+json"
JSON_LIMIT = 4 * 1024
FORM_LIMIT = 2 * 1024
UPLOAD_LIMIT = 8 * 1024

pytestmark = pytest.mark.usefixtures("scratch_database")


class Note(BaseModel):
    text: str


class Probe:
    """A route that records every call that reached it."""

    def __init__(self) -> None:
        self.calls = 0

    def install(self, app: FastAPI) -> None:
        def record(note: Note) -> dict[str, int]:
            self.calls += 1
            return {"length": len(note.text)}

        app.add_api_route("/probe", record, methods=["POST"])


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def small_limits(probe: Probe) -> Iterator[TestClient]:
    settings = Settings(
        max_json_bytes=JSON_LIMIT, max_form_bytes=FORM_LIMIT, upload_max_bytes=UPLOAD_LIMIT
    )
    app = create_app(settings)
    probe.install(app)
    with TestClient(app) as client:
        yield client


def note_of(size: int) -> bytes:
    """A JSON document of exactly `size` bytes."""
    wrapper = b'{"text": ""}'
    return b'{"text": "' + b"x" * (size - len(wrapper)) + b'"}'


def chunks(body: bytes, size: int = 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def assert_too_large(answer: httpx.Response, limit_in_words: str) -> None:
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["status"] == 413
    assert body["detail"].endswith(f"may be at most {limit_in_words}")


def test_a_json_body_at_the_limit_is_read(small_limits: TestClient, probe: Probe) -> None:
    answer = small_limits.post(
        "/probe", content=note_of(JSON_LIMIT), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    assert probe.calls == 1


def test_a_json_body_one_byte_over_is_refused_by_its_length_before_the_handler_runs(
    small_limits: TestClient, probe: Probe
) -> None:
    answer = small_limits.post(
        "/probe", content=note_of(JSON_LIMIT + 1), headers={"content-type": "application/json"}
    )
    assert_too_large(answer, "4 KB")
    assert probe.calls == 0


def test_a_streamed_json_body_without_a_length_is_counted_and_refused(
    small_limits: TestClient, probe: Probe
) -> None:
    answer = small_limits.post(
        "/probe",
        content=chunks(note_of(JSON_LIMIT * 4)),
        headers={"content-type": "application/json"},
    )
    assert "content-length" not in answer.request.headers
    assert_too_large(answer, "4 KB")
    assert probe.calls == 0


def test_a_body_longer_than_its_declared_length_is_refused_when_it_passes_the_limit(
    small_limits: TestClient, probe: Probe
) -> None:
    answer = small_limits.post(
        "/probe",
        content=chunks(note_of(JSON_LIMIT * 4)),
        headers={"content-type": "application/json", "content-length": "20"},
    )
    assert_too_large(answer, "4 KB")
    assert probe.calls == 0


def test_a_body_without_a_content_type_gets_the_json_limit(
    small_limits: TestClient, probe: Probe
) -> None:
    answer = small_limits.post("/probe", content=note_of(JSON_LIMIT + 1))
    assert_too_large(answer, "4 KB")
    assert probe.calls == 0


def test_an_anonymous_oversized_form_post_to_the_sign_in_page_is_refused(
    small_limits: TestClient,
) -> None:
    answer = small_limits.post("/login", data={"email": "a@example.org", "x": "y" * FORM_LIMIT})
    assert_too_large(answer, "2 KB")


def test_an_anonymous_oversized_streamed_form_is_refused(small_limits: TestClient) -> None:
    body = b"email=a%40example.org&x=" + b"y" * FORM_LIMIT * 2
    answer = small_limits.post(
        "/login",
        content=chunks(body),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_too_large(answer, "2 KB")


def test_a_form_within_its_limit_reaches_the_page(small_limits: TestClient) -> None:
    answer = small_limits.post("/login", data={"email": "a@example.org", "x": "y" * 1000})
    assert answer.status_code != 413


def test_an_upload_gets_the_upload_limit_and_room_for_its_fields(
    small_limits: TestClient,
) -> None:
    within = b"x" * UPLOAD_LIMIT
    beyond = b"x" * (UPLOAD_LIMIT + MULTIPART_ALLOWANCE_BYTES)
    files_within = {"files": ("a.pdf", within, "application/pdf")}
    files_beyond = {"files": ("a.pdf", beyond, "application/pdf")}
    # Anonymous: the route itself would answer 401, so anything but 413 means it got that far.
    assert small_limits.post("/api/v1/second-opinions", files=files_within).status_code == 401
    answer = small_limits.post("/api/v1/second-opinions", files=files_beyond)
    assert_too_large(answer, "72 KB")


def test_the_configured_json_limit_guards_the_real_sign_in_route_for_anonymous_callers() -> None:
    limit = get_settings().max_json_bytes
    with TestClient(create_app()) as client:
        answer = client.post(
            "/api/v1/auth/session",
            content=note_of(limit + 1),
            headers={"content-type": "application/json"},
        )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM


def _request_head(declared_length: int) -> bytes:
    return (
        f"POST /api/v1/auth/session HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Type: application/json\r\nContent-Length: {declared_length}\r\n\r\n"
    ).encode()


def _host_and_port(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").partition(":")
    return host, int(port)


def test_a_real_server_answers_413_to_a_100_mb_declaration_without_waiting_for_the_body() -> None:
    with served(create_app()) as url, socket.create_connection(_host_and_port(url)) as peer:
        peer.settimeout(10)
        peer.sendall(_request_head(100 * 1024 * 1024) + b'{"email": ')
        reply = peer.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 413")
    assert "application/problem+json" in reply


def test_a_real_server_answers_413_to_a_chunked_body_that_passes_the_limit_and_never_ends() -> None:
    """Without the limit the route would wait for the rest of the body, which never comes."""
    limit = get_settings().max_json_bytes
    chunk = b"x" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    head = (
        b"POST /api/v1/auth/session HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    with served(create_app()) as url, socket.create_connection(_host_and_port(url)) as peer:
        peer.settimeout(10)
        peer.sendall(head + framed * (limit // len(chunk) + 2))
        reply = peer.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
