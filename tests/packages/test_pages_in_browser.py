"""A health package booked in Debian's Chromium against a real server that sends its mail the
way `make run` does (the outbox worker in a background thread, the local SMTP sink): the
patient books the whole itinerary, sees it in their packages, and the front desk finds each
confirmation, with its calendar invitation, in the demo mailbox. axe finds no serious or
critical violation on the way."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page

from plexcare.config import Settings
from plexcare.db import session_factory
from plexcare.notifications.mailbox import MailSink
from plexcare.notifications.worker import BackgroundWorker, smtp_senders
from plexcare.packages import service as packages
from plexcare.packages.catalogue import HealthPackage
from plexcare.packages.itinerary import PackageItem
from tests.accessibility import assert_accessible
from tests.browser import chromium, served
from tests.conftest_db import PASSWORD, TEST_NOW, SmallClinic, empty_tables, make_app

pytestmark = pytest.mark.browser
WORKUP = HealthPackage(
    code="plexus_workup",
    name="Plexus work-up",
    description="A consultation, then nerve conduction studies and EMG within three days.",
    items=(
        PackageItem("neuro_consult", "Consultation", timedelta(minutes=30)),
        PackageItem(
            "emg_ncs",
            "Nerve conduction studies and EMG",
            timedelta(minutes=60),
            min_gap_after_previous=timedelta(minutes=15),
            max_days_after_previous=3,
        ),
    ),
    price_minor_units=50_000,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    started = MailSink(
        host="127.0.0.1", port=_free_port(), directory=tmp_path_factory.mktemp("mailbox")
    )
    started.start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def server_url(sqlite_url: str, sink: MailSink) -> Iterator[str]:
    """The small clinic with one package, served with the worker and the sink running."""
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        SmallClinic(session)
        packages.add_package(session=session, package=WORKUP)
        session.commit()
    app = make_app(sqlite_url)
    app.state.mailbox_dir = sink.mailbox.directory
    controller = sink._controller
    settings = Settings(
        database_url=sqlite_url, smtp_host=controller.hostname, smtp_port=controller.port
    )
    worker = BackgroundWorker(
        sessions=session_factory(sqlite_url),
        outlets=smtp_senders(settings),
        settings=settings,
        interval=0.2,
        clock=lambda: TEST_NOW,
    )
    worker.start()
    try:
        with served(app) as url:
            yield url
    finally:
        worker.stop()


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
