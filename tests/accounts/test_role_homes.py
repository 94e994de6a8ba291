"""Each role signs in to its own home, and the menu offers only the pages that role may use."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest_db import PASSWORD, SmallClinic
from tests.portal.forms import ON_SQLITE, csrf_token, sign_in

pytestmark = ON_SQLITE

MENU = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)


def sign_in_from_the_form(client: TestClient, email: str) -> str:
    """Sign in as a person does after clicking "Sign in": no way back is given."""
    token = csrf_token(client, "/login")
    answer = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def menu_of(client: TestClient, path: str) -> str:
    found = MENU.search(client.get(path).text)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("email", "home"),
    [
        ("ann@example.org", "/me"),
        ("dr.okafor@clinic.example", "/clinic"),
        ("desk@clinic.example", "/desk"),
        ("admin@clinic.example", "/admin"),
    ],
)
def test_each_role_lands_on_its_own_home(
    client: TestClient, small_clinic: SmallClinic, email: str, home: str
) -> None:
    assert sign_in_from_the_form(client, email) == home


def test_a_page_the_visitor_came_from_still_wins_over_the_home(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    answer = client.get("/clinic/cases/new", follow_redirects=False)
    next_path = answer.headers["location"].split("next=", 1)[1]
    token = csrf_token(client, f"/login?next={next_path}")
    signed_in = client.post(
        "/login",
        data={
            "email": "dr.okafor@clinic.example",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/clinic/cases/new",
        },
        follow_redirects=False,
    )
    assert signed_in.headers["location"] == "/clinic/cases/new"


def test_the_sign_in_form_carries_no_way_back_unless_it_was_given_one(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    assert 'name="next"' not in client.get("/login").text
    assert 'name="next" value="/book"' in client.get("/login?next=/book").text


def test_the_menu_shows_each_role_only_its_own_pages(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    public = menu_of(client, "/login")
    assert 'href="/book"' in public and 'href="/login"' in public
    assert 'href="/clinic"' not in public

    sign_in(client, "dr.okafor@clinic.example")
    clinician = menu_of(client, "/login")
    assert 'href="/clinic"' in clinician and 'href="/clinic/cases/new"' in clinician
    assert 'href="/logout"' in clinician
    assert 'href="/book"' not in clinician and 'href="/me/appointments"' not in clinician
    assert 'href="/login"' not in clinician


def test_a_patients_menu_has_their_home_and_appointments_but_no_clinic(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    sign_in(client, "ann@example.org")
    patient = menu_of(client, "/login")
    assert 'href="/me"' in patient and 'href="/me/appointments"' in patient
    assert 'href="/clinic' not in patient


def test_my_pages_from_a_page_that_does_not_know_the_visitor_goes_to_the_role_home(
    client: TestClient, small_clinic: SmallClinic
) -> None:
    assert client.get("/home", follow_redirects=False).headers["location"].startswith("/login")
    sign_in(client, "dr.okafor@clinic.example")
    assert 'href="/home"' in menu_of(client, "/condition")
    assert client.get("/home", follow_redirects=False).headers["location"] == "/clinic"
