"""Sign in, register and sign out with a page-session cookie, and the CSRF check on forms."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response

from plexcare.config import get_settings
from tests.conftest_db import PASSWORD, SmallClinic
from tests.portal.forms import ON_SQLITE, TOKEN, csrf_token, sign_in, submit_sign_in

pytestmark = ON_SQLITE


def test_signing_in_sets_an_httponly_samesite_lax_session_cookie_and_returns_to_next(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = submit_sign_in(client, "ann@example.org", next_path="/book")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/book"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("plexcare_session=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Signed in as" in client.get("/book").text


def test_a_wrong_password_shows_the_form_again_without_saying_which_part_was_wrong(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    token = csrf_token(client, "/login")
    answer = client.post(
        "/login",
        data={"email": "ann@example.org", "password": "not it", "csrf_token": token},
    )
    assert answer.status_code == 400
    assert "The e-mail address or the password is not right." in answer.text
    assert "plexcare_session" not in client.cookies


def test_sign_in_never_redirects_to_another_site(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = submit_sign_in(client, "ann@example.org", next_path="//evil.example/steal")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/me"


def test_signing_out_ends_the_session_on_the_server(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "ann@example.org")
    session_cookie = client.cookies["plexcare_session"]
    assert client.get("/me/appointments", follow_redirects=False).status_code == 200
    token = csrf_token(client, "/logout")
    answer = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    client.cookies.set("plexcare_session", session_cookie)
    again = client.get("/me/appointments", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login?next=")


def register_form(client: TestClient, email: str, **fields: str) -> Response:
    token = csrf_token(client, "/register")
    return client.post(
        "/register",
        data={
            "csrf_token": token,
            "full_name": "Cara Diaz",
            "email": email,
            "password": "a long enough phrase",
            "password_again": "a long enough phrase",
            "next": "/book",
            **fields,
        },
        follow_redirects=False,
    )


def test_a_patient_registers_then_signs_in_with_the_new_password(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = register_form(client, "Cara@Example.org")
    assert answer.status_code == 303
    assert "plexcare_session" not in client.cookies
    login = client.get(answer.headers["location"])
    assert "You can now sign in with this e-mail address" in login.text
    token = TOKEN.search(login.text)
    assert token is not None
    signed_in = client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "email": "cara@example.org",
            "password": "a long enough phrase",
            "next": "/book",
        },
    )
    assert "Signed in as <strong>Cara Diaz</strong> (patient)" in signed_in.text


def test_registering_a_taken_address_looks_the_same_and_changes_nothing(
    client: TestClient, second_browser: TestClient, small_clinic: SmallClinic
) -> None:
    new = register_form(client, "cara@example.org")
    taken = register_form(second_browser, "ann@example.org")

    assert (new.status_code, new.headers["location"]) == (303, "/login?next=%2Fbook&registered=1")
    assert (taken.status_code, taken.headers["location"]) == (
        new.status_code,
        new.headers["location"],
    )
    assert submit_sign_in(second_browser, "ann@example.org").status_code == 303


def test_registration_errors_are_named_beside_each_field(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    token = csrf_token(client, "/register")
    answer = client.post(
        "/register",
        data={
            "csrf_token": token,
            "full_name": "",
            "email": "not-an-address",
            "password": "short",
            "password_again": "different",
        },
    )
    assert answer.status_code == 422
    for name in ("full_name", "email", "password", "password_again"):
        assert f'id="error-{name}"' in answer.text
    assert "already" not in answer.text


def test_repeated_wrong_passwords_lock_the_form_with_a_plain_message_for_any_address(
    client: TestClient, second_browser: TestClient, small_clinic: SmallClinic
) -> None:
    settings = get_settings()
    limit, minutes = settings.login_failures_per_account, settings.login_window_minutes
    pages = {}
    for browser, email in ((client, "ann@example.org"), (second_browser, "nobody@example.org")):
        for _ in range(limit):
            token = csrf_token(browser, "/login")
            wrong = browser.post(
                "/login", data={"email": email, "password": "not it", "csrf_token": token}
            )
            assert wrong.status_code == 400
        token = csrf_token(browser, "/login")
        pages[email] = browser.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )

    for page in pages.values():
        assert page.status_code == 429
        assert page.headers["retry-after"] == str(minutes * 60)
        assert f"Too many sign-in attempts have failed. Please wait {minutes} minutes" in page.text
        assert "plexcare_session" not in client.cookies
    assert TOKEN.sub("", pages["ann@example.org"].text) == TOKEN.sub(
        "", pages["nobody@example.org"].text
    ).replace("nobody@example.org", "ann@example.org")


def test_a_form_without_its_token_is_refused(client: TestClient, small_clinic: SmallClinic) -> None:
    client.get("/login")
    answer = client.post("/login", data={"email": "ann@example.org", "password": PASSWORD})
    assert answer.status_code == 403
    assert "plexcare_session" not in client.cookies


def test_a_token_from_another_browser_is_refused(
    client: TestClient, second_browser: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "ann@example.org")
    sign_in(second_browser, "bob@example.org")
    bobs_token = csrf_token(second_browser, "/self-check")
    forged = client.post("/self-check", data={"csrf_token": bobs_token, "numbness": "yes"})
    assert forged.status_code == 403
    assert "Please try again" in forged.text


def test_signing_in_changes_the_token_so_an_old_form_must_be_reloaded(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    before = csrf_token(client, "/self-check")
    sign_in(client, "ann@example.org")
    assert (
        client.post("/self-check", data={"csrf_token": before, "numbness": "yes"}).status_code
        == 403
    )
    after = csrf_token(client, "/self-check")
    assert after != before
    assert (
        client.post("/self-check", data={"csrf_token": after, "numbness": "yes"}).status_code == 200
    )
