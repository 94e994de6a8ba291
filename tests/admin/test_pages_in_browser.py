"""The administrator in Debian's Chromium against a real server: a day closed on the closures
page vanishes from the booking calendar; every admin page passes axe (no serious or critical
violation) and fits a phone screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.accessibility import assert_accessible
from tests.browser import chromium, sign_in, small_clinic_served

pytestmark = pytest.mark.browser
SEARCH = "/book?specialty=neurology&from=2026-03-04&to=2026-03-05"


@pytest.fixture(scope="module")
def server_url(sqlite_url: str) -> Iterator[str]:
    with small_clinic_served(sqlite_url) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def free_days(page: Page) -> list[str]:
    return [
        text.split(",")[0]
        for text in page.locator("#calendar td a .visually-hidden").all_inner_texts()
    ]


def test_an_admin_closes_a_day_and_its_times_vanish(server_url: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(server_url + SEARCH)
    assert "Wednesday 4 March 2026" in free_days(page)

    sign_in(page, server_url, "admin@clinic.example", "/admin/closures")
    assert "Christmas Day" in page.inner_text("main")
    assert_accessible(page)
    page.get_by_label("Day", exact=True).fill("2026-03-04")
    page.get_by_label("Why (shown to staff)").fill("Staff training")
    page.get_by_role("button", name="Close the clinic that day").click()
    page.wait_for_url("**/admin/closures?done=closed*")
    assert "The day is closed" in page.inner_text("main")
    assert "Staff training" in page.inner_text("main")

    page.goto(server_url + SEARCH)
    days = free_days(page)
    assert "Wednesday 4 March 2026" not in days
    assert "Thursday 5 March 2026" in days
    page.close()


@pytest.mark.parametrize(
    "path",
    [
        "/admin",
        "/admin/clinicians/1/hours",
        "/admin/appointment-types",
        "/admin/resources",
        "/admin/outbox",
        "/admin/audit",
    ],
)
def test_each_admin_page_passes_axe_and_fits_a_phone(
    server_url: str, browser: Browser, path: str
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 800})
    sign_in(page, server_url, "admin@clinic.example", path)
    assert_accessible(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.close()


BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.data-table :is(th, td):not(.address)')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""
"""The words of the page's tables laid out over more than one line (e-mail addresses aside)."""


@pytest.mark.parametrize("path", ["/admin", "/admin/audit", "/admin/outbox", "/admin/closures"])
def test_on_a_phone_admin_tables_wrap_between_words_and_keep_every_cell_in_view(
    server_url: str, browser: Browser, path: str
) -> None:
    """Each row a card on a phone: every cell, its buttons included, within the screen."""
    page = browser.new_page(viewport={"width": 390, "height": 800})
    sign_in(page, server_url, "admin@clinic.example", path)
    assert page.evaluate(BROKEN_WORDS) == []
    width = page.evaluate("window.innerWidth")
    for cell in page.locator(".data-table td, .data-table button").all():
        box = cell.bounding_box()
        assert box is None or box["x"] + box["width"] <= width
    page.close()
