"""The education pages as a patient sees them: a real Chromium against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from plexcare.app import create_app
from tests.browser import chromium, served

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with served(create_app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_a_patient_reaches_the_faq_from_the_home_page_and_sees_urgent_advice(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(server_url + "/")
    assert "plexopathy" in page.title().lower()
    urgent = page.get_by_text("saddle", exact=False).first
    assert urgent.is_visible()
    page.get_by_role("link", name="Questions and answers").first.click()
    page.wait_for_url("**/condition/faq")
    body = page.inner_text("body").lower()
    for topic in ("symptom", "cause", "diagnos", "treat", "risk"):
        assert topic in body
    page.close()


def test_the_pages_fit_a_phone_screen_without_sideways_scrolling(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(server_url + "/condition")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.close()
