"""The education pages as a patient sees them: a real Chromium against a real server."""

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

from plexcare.web.app import create_app

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
def server_url() -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
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
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


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
