"""The issue's promise in a real browser: a patient books one appointment through /book on a
server that sends mail the way `make run` does (the outbox worker in a background thread, the
local SMTP sink), and the confirmation, with its calendar invitation for that very time, is
in the demo mailbox the front desk reads."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from plexcare.db import session_factory
from plexcare.notifications.mailbox import MailSink
from tests.accessibility import assert_accessible
from tests.browser import chromium
from tests.conftest_db import PASSWORD, SmallClinic, empty_tables, make_app
from tests.notifications.demo_delivery import running_sink, served_with_mail

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    with running_sink(tmp_path_factory.mktemp("mailbox")) as started:
        yield started


@pytest.fixture(scope="module")
def server_url(sqlite_url: str, sink: MailSink) -> Iterator[str]:
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        SmallClinic(session)
        session.commit()
    with served_with_mail(make_app(sqlite_url), sqlite_url, sink) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _sign_in(page: Page, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url and next_path in url)


def test_the_confirmation_of_a_booking_with_its_invitation_reaches_the_demo_mailbox(
    server_url: str, browser: Browser, sink: MailSink
) -> None:
    patient = browser.new_page()
    _sign_in(patient, server_url, "ann@example.org", "/book")
    patient.locator("#field-specialty").select_option(index=1)
    patient.get_by_role("button", name="Show free times").click()
    patient.locator("#calendar").wait_for()
    chosen = patient.locator("button.slot-button").first
    clock = re.search(r"\d{2}:\d{2}", chosen.inner_text())
    assert clock is not None
    chosen.click()
    patient.wait_for_url("**/book/hold/*")
    patient.get_by_role("button", name="Confirm booking").click()
    patient.wait_for_url("**/me/appointments?done=booked*")
    assert "Your appointment is booked" in patient.inner_text("main")

    deadline = time.monotonic() + 30
    while not sink.mailbox.message_ids() and time.monotonic() < deadline:
        time.sleep(0.1)
    desk = browser.new_context().new_page()
    _sign_in(desk, server_url, "desk@clinic.example", "/desk/mailbox")
    rows = desk.locator("main tbody tr").all_inner_texts()
    confirmations = [row for row in rows if "Appointment confirmed" in row]
    assert len(confirmations) == 1, rows
    assert "ann@example.org" in confirmations[0]
    desk.get_by_role("link", name="Appointment confirmed").first.click()
    desk.wait_for_url("**/desk/mailbox/*")
    assert desk.get_by_role("link", name="invite.ics").is_visible()
    invitation = desk.locator(".calendar-text").inner_text()
    assert "BEGIN:VEVENT" in invitation and "METHOD:REQUEST" in invitation
    assert clock.group(0) in desk.inner_text("main")
    assert_accessible(desk)
    patient.close()
    desk.context.close()
