"""The front desk in Debian's Chromium against a real server at 11:00 on Monday 2 March 2026:
the day's schedule, a missed visit marked, a caller found and booked, the call-back queue;
axe finds no serious or critical violation, and the day fits a phone screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser

from plexcare.accounts.actor import Actor
from plexcare.db import session_factory
from plexcare.scheduling import service as booking
from tests.accessibility import assert_accessible
from tests.browser import chromium, served, sign_in
from tests.conftest_db import TEST_NOW, SmallClinic, empty_tables, make_app
from tests.web.records import anonymous_callback

pytestmark = pytest.mark.browser
MONDAY_11 = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server_url(sqlite_url: str) -> Iterator[str]:
    """Ann's 09:00 consultation with Dr Okafor has begun (and she has not come); a caller has
    asked to be called back."""
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        people = SmallClinic(session)
        booking.book(
            session=session,
            actor=Actor(user_id=people.patient_a.id, role="patient"),
            clinician_id=people.neurologist.id,
            appointment_type_id=people.consultation.id,
            starts_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
            now=TEST_NOW,
        )
        anonymous_callback(session, client_ip="192.0.2.40")
        session.commit()
    with served(make_app(sqlite_url, now=MONDAY_11)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_the_desk_marks_a_no_show_and_books_for_a_caller(server_url: str, browser: Browser) -> None:
    page = browser.new_page()
    sign_in(page, server_url, "desk@clinic.example", "/desk")
    assert "Schedule for Monday 2 March 2026" in page.inner_text("h1")
    assert_accessible(page)

    page.get_by_role("button", name=re.compile(r"^Missed")).click()
    page.wait_for_url("**/desk?day=2026-03-02&done=missed*")
    assert "Marked as missed" in page.inner_text("main")
    okafor = page.locator("section.sheet", has_text="Dr Ada Okafor").first
    assert "Missed" in okafor.inner_text()

    page.get_by_role("link", name="Book for a caller").first.click()
    page.get_by_label("Name, e-mail or phone").fill("bob")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="bob").click()
    page.get_by_label("Specialty").select_option("neurology")
    page.get_by_role("button", name="Show free times").click()
    page.locator("#calendar").wait_for()
    assert page.get_by_label("Type of appointment").input_value() != ""
    assert_accessible(page)
    page.locator("button.slot-button").first.click()
    page.wait_for_url("**/desk/book?patient_id=*&done=booked*")
    main = page.inner_text("main")
    assert "a confirmation is on its way to the patient" in main
    assert "Neurology consultation with Dr Ada Okafor" in main
    assert_accessible(page)
    page.close()


def test_the_call_back_queue_is_taken_and_answered(server_url: str, browser: Browser) -> None:
    page = browser.new_page()
    sign_in(page, server_url, "desk@clinic.example", "/desk/callbacks")
    assert "Sam Caller" in page.inner_text("main")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"^Take this call")).click()
    page.get_by_label("Spoke to them, done").check()
    page.get_by_label("Note (optional)").fill("Booked a consultation")
    page.get_by_role("button", name=re.compile(r"^Record the outcome")).click()
    page.wait_for_url("**/desk/callbacks?done=recorded*")
    assert "Nobody is waiting for a call" in page.inner_text("main")
    assert_accessible(page)
    page.close()


def test_the_day_fits_a_phone_screen(server_url: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 800})
    sign_in(page, server_url, "desk@clinic.example", "/desk")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.close()
