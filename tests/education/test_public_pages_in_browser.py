"""The hospital page's buttons as a visitor meets them, in Debian's Chromium: the home page's
calls to action each lead to a working page, the contact page offers a `tel:` and a WhatsApp
link, the specialists can be filtered by specialty, the callback form is usable by keyboard,
and /docs draws the API from this site alone, with no policy violation. axe finds no serious or
critical violation on any of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage

from plexcare.clinic.demo import load_demo_clinic
from plexcare.db import session_factory
from tests.accessibility import assert_accessible
from tests.browser import chromium, served
from tests.conftest_db import TEST_NOW, empty_tables, make_app

pytestmark = pytest.mark.browser
PUBLIC_ACTIONS = {
    "Find our specialists": "/specialists",
    "Health packages": "/packages",
    "Request a callback": "/callback",
}


@pytest.fixture(scope="module")
def server_url(sqlite_url: str) -> Iterator[str]:
    """The demo clinic (its specialists and packages), on Monday 2 March 2026, 08:00."""
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        load_demo_clinic(session=session, now=TEST_NOW)
        session.commit()
    with served(make_app(sqlite_url)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_the_calls_to_action_lead_to_working_accessible_pages(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server_url + "/")
    assert_accessible(page)
    actions = page.locator(".calls-to-action")
    whatsapp = actions.get_by_role("link", name="Chat on WhatsApp")
    assert (whatsapp.get_attribute("href") or "").startswith("https://wa.me/")
    for label, path in PUBLIC_ACTIONS.items():
        page.goto(server_url + "/")
        page.locator(".calls-to-action").get_by_role("link", name=label).click()
        page.wait_for_url(f"**{path}")
        assert page.locator("h1").is_visible()
        assert_accessible(page)
    page.goto(server_url + "/contact")
    assert page.get_by_role("link", name="020 7946 0018").get_attribute("href") == (
        "tel:+442079460018"
    )
    assert_accessible(page)
    for path in ("/", "/contact", "/specialists", "/packages", "/callback"):
        page.goto(server_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a 390px screen"
    page.close()


def test_the_specialists_are_filtered_by_specialty(server_url: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(server_url + "/specialists")
    assert page.locator("li.card").count() == 6
    page.get_by_label("Specialty").select_option(label="Pain medicine")
    page.get_by_role("button", name="Show specialists").click()
    page.wait_for_url("**/specialists?specialty=pain_medicine")
    cards = page.locator("li.card")
    assert cards.count() == 1
    assert "Dr Hannah Weiss" in cards.inner_text()
    assert "Next free appointment" in cards.inner_text()
    assert_accessible(page)
    page.close()


def test_a_callback_is_asked_for_with_the_keyboard_alone(server_url: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(server_url + "/callback")
    page.get_by_label("Your name").focus()
    page.keyboard.type("Ann Okafor")
    page.keyboard.press("Tab")
    page.keyboard.type("020 79")
    page.get_by_label("What would you like to talk about?").select_option("symptoms")
    page.get_by_role("button", name="Ask for a call").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "This number is too short" in page.locator("#error-phone").inner_text()
    assert_accessible(page)
    page.get_by_label("Phone number").fill("020 7946 0018")
    page.get_by_label("Best time to call").select_option(index=1)
    page.get_by_role("button", name="Ask for a call").click()
    page.wait_for_load_state()
    assert "as you asked" in page.inner_text("main")
    assert_accessible(page)
    page.close()


def test_the_api_docs_draw_from_this_site_alone(server_url: str, browser: Browser) -> None:
    page = browser.new_page()
    refused: list[str] = []
    outside: list[str] = []

    def hear(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", hear)
    page.on(
        "request",
        lambda request: outside.append(request.url)
        if not request.url.startswith(server_url) and not request.url.startswith("data:")
        else None,
    )
    page.goto(server_url + "/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 20
    assert refused == []
    assert outside == []
    page.close()
