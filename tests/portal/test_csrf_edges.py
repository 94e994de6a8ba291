"""The form token at the edges `make mutate` found unguarded: the visit cookie that carries it
before sign-in, a visitor who keeps their token, and a post from a browser that has no visit."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plexcare.portal.csrf import VISIT_COOKIE
from tests.conftest_db import PASSWORD, SmallClinic
from tests.portal.forms import TOKEN, csrf_token


def _sign_in_post(client: TestClient, token: str) -> int:
    answer = client.post(
        "/login",
        data={"email": "ann@example.org", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    return answer.status_code


def test_the_first_form_starts_a_visit_with_a_private_cookie_for_the_whole_site(
    client: TestClient,
) -> None:
    page = client.get("/login")
    cookie = page.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    attributes = {part.strip().lower() for part in rest.split(";")[1:]}
    assert name == VISIT_COOKIE
    assert {"httponly", "path=/", "samesite=lax"} <= attributes
    assert TOKEN.search(page.text) is not None


def test_a_returning_visitor_keeps_their_visit_and_their_token(client: TestClient) -> None:
    first = csrf_token(client, "/login")
    again = client.get("/login")
    assert "set-cookie" not in again.headers
    found = TOKEN.search(again.text)
    assert found is not None and found.group(1) == first


def test_each_browser_gets_a_token_of_its_own_that_the_other_cannot_use(
    client: TestClient, second_browser: TestClient, small_clinic: SmallClinic
) -> None:
    mine = csrf_token(client, "/login")
    theirs = csrf_token(second_browser, "/login")
    assert mine != theirs
    assert _sign_in_post(second_browser, mine) == 403
    assert _sign_in_post(client, mine) == 303


def test_a_post_from_a_browser_without_a_visit_is_refused_whatever_token_it_sends(
    client: TestClient, second_browser: TestClient, small_clinic: SmallClinic
) -> None:
    someone_elses = csrf_token(second_browser, "/login")
    for token in (someone_elses, "0" * 64, ""):
        client.cookies.clear()
        assert _sign_in_post(client, token) == 403
