"""Portal page tests run on a real, migrated SQLite database (one browser = one TestClient).

The pages add no SQL of their own (they call the services, which are tested on PostgreSQL
too), so SQLite alone keeps these tests quick while still exercising the real schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest_db import PASSWORD, empty_tables, make_app

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    empty_tables(sqlite_url)
    return sqlite_url


@pytest.fixture
def second_browser(db_url: str) -> Iterator[TestClient]:
    """Another person's browser on the same clinic (its own cookies)."""
    with TestClient(make_app(db_url)) as other:
        yield other


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
