"""What page tests do as a browser does: read the form token a page hands out, and sign in
through the form. Shared by the toolkit's tests here and by every area's page tests.

Page tests run on a real, migrated SQLite database only (one browser = one TestClient): the
pages add no SQL of their own (they call the services, which are tested on PostgreSQL too), so
SQLite alone keeps them quick while still exercising the real schema. The tests in this folder
get that from `conftest.py`; a page test module elsewhere says so with
`pytestmark = ON_SQLITE`.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest_db import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

ON_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
"""The shared `db_url` fixture, given SQLite only."""


def csrf_token(client: TestClient, path: str) -> str:
    """The form token a page hands this browser (fetching the page sets the visit cookie)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found is not None, f"no CSRF token on {path}"
    return found.group(1)


def submit_sign_in(client: TestClient, email: str, *, next_path: str = "/") -> Response:
    """The sign-in form sent as a browser would, with the right password; not followed."""
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )


def sign_in(client: TestClient, email: str) -> None:
    answer = submit_sign_in(client, email)
    assert answer.status_code == 303, answer.text
