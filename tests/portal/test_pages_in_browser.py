"""The self-check as a worried person uses it: a real Chromium against a real server."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright

from tests.conftest_db import empty_tables, make_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(sqlite_url: str) -> Iterator[str]:
    empty_tables(sqlite_url)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(make_app(sqlite_url), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's Chromium is missing: `make test` installs it with apt-get")
        pytest.skip("Debian's Chromium is not installed; run `make browser`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


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
