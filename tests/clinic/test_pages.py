"""Find our specialists: each profile with specialty, languages, what they see and the next
free time, filtered by specialty; an unknown specialty or specialist is named, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from plexcare.clinic.demo import PROFILES, load_demo_clinic
from tests.conftest_db import TEST_NOW
from tests.portal.forms import ON_SQLITE

pytestmark = ON_SQLITE


def demo(session: Session) -> None:
    load_demo_clinic(session=session, now=TEST_NOW)
    session.commit()


def test_every_demo_specialist_shows_languages_what_they_see_and_a_next_free_time(
    client: TestClient, session: Session
) -> None:
    demo(session)
    page = client.get("/specialists")
    assert page.status_code == 200
    for name, (languages, _sees) in PROFILES.items():
        assert name in page.text and languages in page.text
    assert page.text.count("Next free appointment") == len(PROFILES)
    assert "None in the booking window" not in page.text
    assert "GMT" in page.text


def test_the_specialty_filter_shows_only_that_specialty(
    client: TestClient, session: Session
) -> None:
    demo(session)
    page = client.get("/specialists?specialty=pain_medicine")
    assert page.status_code == 200
    assert "Dr Hannah Weiss" in page.text
    assert "Dr Ada Okafor" not in page.text
    assert "/book?specialty=pain_medicine&amp;clinician_id=" in page.text


def test_an_unknown_specialty_is_named_and_all_are_shown(
    client: TestClient, session: Session
) -> None:
    demo(session)
    page = client.get("/specialists?specialty=astrology")
    assert page.status_code == 422
    assert 'id="error-specialty"' in page.text
    assert "Dr Ada Okafor" in page.text


def test_a_profile_page_and_a_missing_one(client: TestClient, session: Session) -> None:
    demo(session)
    listing = client.get("/specialists").text
    first = listing.split('href="/specialists/', 1)[1].split('"', 1)[0]
    profile = client.get(f"/specialists/{first}")
    assert profile.status_code == 200 and "Sees patients for" in profile.text
    assert client.get("/specialists/999999").status_code == 404
    assert client.get("/specialists/not-a-number").status_code == 404
    assert client.get("/specialists/99999999999999999999").status_code == 404
