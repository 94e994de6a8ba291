"""What the page gates answer, at the edges `make mutate` found unguarded: the way back after
signing in keeps the query, and a refused form says why and links back to itself."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest_db import SmallClinic


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
