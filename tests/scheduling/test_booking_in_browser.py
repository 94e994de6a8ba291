"""Booking people can trust, in Debian's Chromium against a real server (Monday 2 March 2026,
08:00): keyboard-only booking, a calendar that pages on, one type at a time, the search kept on
"Choose another time", a second appointment at an overlapping time refused, cancelling that
asks first (with the notice rule and a reason), and a calendar file to download; axe finds no
serious or critical violation on the way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page

from plexcare.accounts.actor import Actor
from plexcare.db import session_factory
from plexcare.scheduling import service as booking
from tests.accessibility import assert_accessible
from tests.browser import chromium, served, sign_in
from tests.conftest_db import TEST_NOW, SmallClinic, empty_tables, make_app

pytestmark = pytest.mark.browser
TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clinic(sqlite_url: str) -> Iterator[tuple[str, dict[str, int]]]:
    """Bob has a consultation with Dr Okafor on Tuesday at 10:00."""
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        people = SmallClinic(session)
        booking.book(
            session=session,
            actor=Actor(user_id=people.patient_b.id, role="patient"),
            clinician_id=people.neurologist.id,
            appointment_type_id=people.consultation.id,
            starts_at=TUESDAY_10,
            now=TEST_NOW,
        )
        ids = {
            "lind": people.second_neurologist.id,
            "consultation": people.consultation.id,
            "emg": people.emg.id,
        }
        session.commit()
    with served(make_app(sqlite_url)) as url:
        yield url, ids


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus, as a keyboard user."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_patient_books_with_the_keyboard_alone(
    clinic: tuple[str, dict[str, int]], browser: Browser
) -> None:
    base, _ids = clinic
    page = browser.new_page()
    sign_in(page, base, "ann@example.org", "/book")
    tab_to(page, "#field-specialty")
    page.keyboard.press("ArrowDown")
    assert page.locator("#field-specialty").input_value() != ""
    tab_to(page, "button[type=submit].button")
    page.keyboard.press("Enter")
    page.locator("#calendar").wait_for()
    assert_accessible(page)
    tab_to(page, "button.slot-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/book/hold/*")
    assert_accessible(page)
    tab_to(page, "form[action='/book/confirm'] button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/me/appointments?done=booked*")
    assert "Your appointment is booked" in page.inner_text("main")
    assert_accessible(page)
    page.close()


def test_the_calendar_pages_on_and_choose_another_time_keeps_the_search(
    clinic: tuple[str, dict[str, int]], browser: Browser
) -> None:
    base, ids = clinic
    page = browser.new_page()
    search = (
        f"/book?specialty=neurology&clinician_id={ids['lind']}&appointment_type_id={ids['emg']}"
    )
    sign_in(page, base, "ann@example.org", "/book")
    page.goto(base + search)
    types = page.locator("#field-appointment_type_id option").all_inner_texts()
    assert not any(text.strip() == "Any" for text in types)
    page.get_by_role("link", name="Later weeks").first.click()
    page.wait_for_url(re.compile(r".*from=2026-03-30.*"))
    assert "Nerve conduction study and EMG" in page.inner_text("#slots-heading ~ section")
    page.locator("button.slot-button").first.click()
    page.wait_for_url("**/book/hold/*")
    page.get_by_role("button", name="Choose another time").click()
    page.wait_for_url(re.compile(r".*/book\?.*from=2026-03-30.*"))
    assert page.locator("#field-appointment_type_id").input_value() == str(ids["emg"])
    assert page.locator("#field-clinician_id").input_value() == str(ids["lind"])
    page.close()


def test_a_patient_cannot_hold_two_appointments_at_once(
    clinic: tuple[str, dict[str, int]], browser: Browser
) -> None:
    """Bob has Dr Okafor at 10:00 on Tuesday; Dr Lind's 10:00 is free but Bob cannot take it."""
    base, ids = clinic
    page = browser.new_page()
    sign_in(page, base, "bob@example.org", "/me/appointments")
    page.goto(
        f"{base}/book?specialty=neurology&clinician_id={ids['lind']}"
        f"&appointment_type_id={ids['consultation']}&from=2026-03-03&to=2026-03-03"
    )
    page.get_by_role("button", name=re.compile(r"^10:00 GMT")).click()
    page.get_by_role("button", name="Confirm booking").click()
    main = page.inner_text("main")
    assert "That time cannot be booked" in main
    assert "You already have an appointment at this time" in main
    assert_accessible(page)
    page.goto(base + "/me/appointments")
    assert page.locator("li.appointment").count() == 1
    page.close()


def test_cancelling_asks_first_shows_the_rule_and_takes_a_reason(
    clinic: tuple[str, dict[str, int]], browser: Browser
) -> None:
    base, _ids = clinic
    page = browser.new_page()
    sign_in(page, base, "bob@example.org", "/me/appointments")
    assert "Changing an appointment" in page.inner_text("main")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^calendar file")).click()
    assert "BEGIN:VCALENDAR" in download.value.path().read_text()
    google = page.get_by_role("link", name=re.compile(r"^Google Calendar")).get_attribute("href")
    assert google and google.startswith("https://calendar.google.com/calendar/render?")

    page.get_by_role("link", name=re.compile(r"^Cancel")).click()
    page.wait_for_url("**/me/appointments/*/cancel")
    main = page.inner_text("main")
    assert "Cancel this appointment?" in main
    assert "at least 24 hours ahead" in main and "late cancellation" in main
    assert_accessible(page)
    page.get_by_role("button", name="Yes, cancel the appointment").click()
    assert page.url.endswith("/cancel"), "a reason is required before anything is cancelled"
    page.get_by_label("I am feeling better").check()
    page.get_by_role("button", name="Yes, cancel the appointment").click()
    page.wait_for_url("**/me/appointments?done=cancelled")
    assert "Your appointment is cancelled" in page.inner_text("main")
    page.close()


def test_the_calendar_and_my_appointments_fit_a_phone_screen(
    clinic: tuple[str, dict[str, int]], browser: Browser
) -> None:
    base, _ids = clinic
    page = browser.new_page(viewport={"width": 390, "height": 800})
    sign_in(page, base, "ann@example.org", "/me/appointments")
    for path in ("/book?specialty=neurology", "/me/appointments"):
        page.goto(base + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, path
    page.close()
