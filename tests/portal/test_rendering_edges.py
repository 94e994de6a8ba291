"""What the page gates answer, at the edges `make mutate` found unguarded: the way back after
signing in keeps its query and never leaves the site, a refused form or page says why and
where to go, the menu knows who is signed in, and a NUL character in a form is dropped."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plexcare.accounts.pages import DEFAULT_AFTER_SIGN_IN
from tests.conftest_db import PASSWORD, SmallClinic
from tests.portal.forms import csrf_token, sign_in, submit_sign_in


def test_signing_in_from_a_page_with_a_query_comes_back_to_the_same_query(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = client.get("/me/appointments?status=booked&page=2", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/login?next=%2Fme%2Fappointments%3Fstatus%3Dbooked%26page%3D2"
    )


def test_a_forged_form_is_refused_with_a_reason_and_a_link_to_reload_it(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    client.get("/login")
    answer = client.post(
        "/login",
        data={"email": "ann@example.org", "password": "x", "csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "<h1>Please try again</h1>" in answer.text
    assert (
        "This form could not be checked: it may be old, or sent from another site. "
        "Go back, reload the page and send it again."
    ) in answer.text
    assert '<a href="/login">Reload the form</a>' in answer.text


def test_a_patient_on_a_clinicians_page_is_told_whose_page_it_is_and_sent_home(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "ann@example.org")
    answer = client.get("/clinic/cases/new")
    assert answer.status_code == 403
    assert "<h1>Not available to your account</h1>" in answer.text
    assert "This page is for clinician accounts." in answer.text
    assert '<a href="/">Go to the home page</a>' in answer.text


def test_only_a_signed_in_clinician_finds_the_case_assessment_in_the_menu(
    client: TestClient, second_browser: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "dr.okafor@clinic.example")
    assert 'href="/clinic/cases/new"' in client.get("/login").text
    assert 'href="/clinic/cases/new"' not in second_browser.get("/login").text


def test_a_nul_character_in_a_form_is_dropped_from_names_and_values(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    token = csrf_token(client, "/login")
    answer = client.post(
        "/login",
        data={"email": "ann@exa\x00mple.org", "password": PASSWORD, "csrf_tok\x00en": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_a_way_back_with_a_backslash_is_not_followed(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = submit_sign_in(client, "ann@example.org", next_path="/\\evil.example")
    assert answer.status_code == 303
    assert answer.headers["location"] == DEFAULT_AFTER_SIGN_IN
