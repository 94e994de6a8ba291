"""The self-check as a worried person uses it: a real Chromium against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser import chromium, served
from tests.conftest_db import empty_tables, make_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_url(sqlite_url: str) -> Iterator[str]:
    empty_tables(sqlite_url)
    with served(make_app(sqlite_url)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_a_visitor_answers_the_self_check_and_is_told_to_get_emergency_help(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(server_url + "/")
    page.get_by_role("link", name="Symptom self-check").click()
    page.wait_for_url("**/self-check")
    saddle = page.get_by_role("group", name="Is the skin between your legs")
    saddle.get_by_label("Yes").check()
    page.get_by_label("How bad is the leg or back pain").fill("6")
    page.get_by_role("button", name="See my advice").click()
    page.wait_for_load_state()
    emergency = page.get_by_role("alert")
    assert emergency.is_visible()
    assert "Get emergency help now" in emergency.inner_text()
    assert page.get_by_role("link", name="Ask the clinic to call you").is_visible()
    assert page.locator("main a[href^='/book']").count() == 0
    page.close()


def test_a_bad_pain_score_is_shown_beside_the_question_on_a_phone(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(server_url + "/self-check")
    page.get_by_label("How bad is the leg or back pain").fill("12")
    page.get_by_role("button", name="See my advice").click()
    page.wait_for_load_state()
    assert "Enter a whole number from 0 to 10" in page.inner_text("main")
    assert (
        page.get_by_label("How bad is the leg or back pain").get_attribute("aria-invalid") == "true"
    )
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.close()
