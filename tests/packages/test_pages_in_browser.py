"""A health package booked in Debian's Chromium against a real server that sends its mail the
way `make run` does (the outbox worker in a background thread, the local SMTP sink): the
patient books the whole itinerary, sees it in their packages, and the front desk finds each
confirmation, with its calendar invitation, in the demo mailbox. axe finds no serious or
critical violation on the way."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from plexcare.db import session_factory
from plexcare.notifications.mailbox import MailSink
from plexcare.packages import service as packages
from tests.accessibility import assert_accessible
from tests.browser import chromium
from tests.conftest_db import PASSWORD, SmallClinic, empty_tables, make_app
from tests.notifications.demo_delivery import running_sink, served_with_mail
from tests.packages.plexus_workup import PLEXUS_WORKUP

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    with running_sink(tmp_path_factory.mktemp("mailbox")) as started:
        yield started


@pytest.fixture(scope="module")
def server_url(sqlite_url: str, sink: MailSink) -> Iterator[str]:
    """The small clinic with one package, served with the worker and the sink running."""
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        SmallClinic(session)
        packages.add_package(session=session, package=PLEXUS_WORKUP)
        session.commit()
    with served_with_mail(make_app(sqlite_url), sqlite_url, sink) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def sign_in(page: Page, email: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_patient_books_a_package_and_the_confirmations_reach_the_demo_mailbox(
    server_url: str, browser: Browser, sink: MailSink
) -> None:
    page = browser.new_page()
    page.goto(server_url + "/packages")
    assert_accessible(page)
    page.get_by_role("link", name="Plexus work-up", exact=True).click()
    page.wait_for_url("**/packages/plexus_workup")
    assert "£500.00" in page.inner_text("main")
    page.get_by_role("link", name="Sign in to book this package").click()
    sign_in(page, "ann@example.org")
    page.wait_for_url("**/packages/plexus_workup")
    assert_accessible(page)
    planned = page.locator("main ol.appointments li").all_inner_texts()
    assert len(planned) == 2

    page.get_by_role("button", name="Book all 2 appointments").click()
    page.wait_for_url("**/me/packages?done=booked")
    main = page.inner_text("main")
    assert "Your package is booked" in main
    assert main.count("· booked") == 2
    assert_accessible(page)

    deadline = time.monotonic() + 30
    while len(sink.mailbox.message_ids()) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    desk = browser.new_context().new_page()
    desk.goto(server_url + "/login?next=/desk/mailbox")
    sign_in(desk, "desk@clinic.example")
    desk.wait_for_url("**/desk/mailbox")
    assert_accessible(desk)
    rows = desk.locator("main tbody tr")
    texts = rows.all_inner_texts()
    assert all("ann@example.org" in text for text in texts)
    confirmations = [text for text in texts if "Appointment confirmed" in text]
    assert len(confirmations) == 2, texts
    assert len(texts) == 4, "and a reminder each: both visits are within a day"
    desk.get_by_role("link", name="Appointment confirmed").first.click()
    desk.wait_for_url("**/desk/mailbox/*")
    assert desk.get_by_role("link", name="invite.ics").is_visible()
    invitation = desk.locator(".calendar-text").inner_text()
    assert "BEGIN:VCALENDAR" in invitation and "METHOD:REQUEST" in invitation
    assert_accessible(desk)
    page.close()
    desk.context.close()


def test_the_patient_cancels_the_whole_package_after_confirming(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(server_url + "/login?next=/me/packages")
    sign_in(page, "ann@example.org")
    page.wait_for_url("**/me/packages")
    booked = page.locator("section.card").first
    booked.get_by_text("Cancel this package").click()
    booked.get_by_label("Reason (optional)").fill("Feeling better")
    booked.get_by_role("button", name="Yes, cancel the whole package").click()
    page.wait_for_url("**/me/packages?done=cancelled")
    assert page.locator("section.card").first.inner_text().count("· cancelled") == 2
    assert_accessible(page)
    page.close()
