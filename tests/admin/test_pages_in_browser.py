"""The administrator in Debian's Chromium against a real server: a day closed on the closures
page vanishes from the booking calendar; every admin page passes axe (no serious or critical
violation) and fits a phone screen; on a wide screen a long e-mail address breaks at its @ or its
dots rather than push the accounts table past its box."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from plexcare.accounts.roles import Role
from plexcare.db import session_factory
from tests.accessibility import assert_accessible
from tests.browser import broken_as_an_address, chromium, laid_out, sign_in, small_clinic_served
from tests.conftest_db import add_user

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


LONG_ADDRESS = "bartholomew.featherstonehaughollivander@physiotherapy.clinic.example"


def test_on_a_wide_screen_a_long_address_breaks_at_its_at_sign_or_dots_not_the_table(
    server_url: str, sqlite_url: str, browser: Browser
) -> None:
    """At 1280 px the accounts table fits its box beside an address of 68 letters, which
    breaks only after its @ or before a dot; the short addresses stay whole on one line."""
    with session_factory(sqlite_url)() as session:
        add_user(session, email=LONG_ADDRESS, role=Role.clinician, full_name="Bartholomew F-O")
        session.commit()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, server_url, "admin@clinic.example", "/admin")
    box = page.locator(".table-scroll").first
    assert box.evaluate("element => element.scrollWidth - element.clientWidth") <= 0
    cells = page.locator(".data-table td.address")
    long = laid_out(cells.filter(has_text="bartholomew"), LONG_ADDRESS)
    assert len(long) > 1 and broken_as_an_address(long), long
    for cell in cells.all():
        address = cell.inner_text().strip()
        if address != LONG_ADDRESS:
            assert laid_out(cell, address) == [address]
    page.close()
