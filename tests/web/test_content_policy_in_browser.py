"""The content security policy breaks nothing: a real Chromium walks the public pages, signs in
and runs an assessment, and reports no policy violation; the stylesheet and the probability
bars (widths set in a `style` attribute) are drawn."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from tests.browser import chromium, small_clinic_served
from tests.conftest_db import PASSWORD

pytestmark = pytest.mark.browser

MOST_PAGES = 25


@pytest.fixture(scope="module")
def server_url(sqlite_url: str) -> Iterator[str]:
    with small_clinic_served(sqlite_url) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


class Violations:
    """Every console message in which the browser refused something under the policy."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self.hear)

    def hear(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.messages.append(message.text)


def site_links(page: Page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    return [
        href.split("#")[0]
        for href in hrefs
        if href.startswith(origin) and not urlsplit(href).path.startswith(("/docs", "/logout"))
    ]


def test_the_public_pages_load_with_no_policy_violation_and_their_stylesheet(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page()
    violations = Violations(page)
    to_visit = [server_url + "/", server_url + "/login", server_url + "/self-check"]
    visited: set[str] = set()
    while to_visit and len(visited) < MOST_PAGES:
        address = to_visit.pop(0)
        if address in visited:
            continue
        visited.add(address)
        page.goto(address)
        skip_link = page.locator(".skip-link")
        assert skip_link.evaluate("link => getComputedStyle(link).position") == "absolute"
        to_visit.extend(site_links(page, server_url))
    page.close()
    assert len(visited) >= 10
    assert violations.messages == []


def test_a_clinician_signs_in_and_sees_drawn_probability_bars_with_no_violation(
    server_url: str, browser: Browser
) -> None:
    page = browser.new_page()
    violations = Violations(page)
    page.goto(server_url + "/login?next=/clinic/cases/new")
    page.get_by_label("E-mail address").fill("dr.okafor@clinic.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clinic/cases/new")
    page.goto(server_url + "/clinic/cases/new?example=l5_radiculopathy")
    page.get_by_role("button", name="Assess without saving").click()
    page.wait_for_load_state()
    assert "Assessment" in page.title()
    widths = page.eval_on_selector_all(
        ".bar-fill", "bars => bars.map(bar => bar.getBoundingClientRect().width)"
    )
    page.close()
    assert len({round(width) for width in widths}) > 1, widths  # each bar its own width
    assert violations.messages == []
