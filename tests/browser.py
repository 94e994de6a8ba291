"""A real server and Debian's Chromium for browser tests, shared by every area that has them.

The Playwright browser download does not work on these machines, so tests drive
/usr/bin/chromium with the flags the machine needs (no sandbox as root, no background traffic
to a closed network). Without Chromium a test skips locally and fails in CI.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from plexcare.db import session_factory
from tests.conftest_db import PASSWORD, SmallClinic, empty_tables, make_app

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn on a free local port for the duration of the block."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def small_clinic_served(sqlite_url: str) -> Iterator[str]:
    """The small clinic (two neurologists and a pain specialist, on Monday 2 March 2026,
    08:00) in a fresh SQLite database, served for the duration of the block."""
    empty_tables(sqlite_url)
    with session_factory(sqlite_url)() as session:
        SmallClinic(session)
        session.commit()
    with served(make_app(sqlite_url)) as url:
        yield url


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's Chromium is missing: `make test` installs it with apt-get")
        pytest.skip("Debian's Chromium is not installed; run `make browser`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def sign_in(page: Page, base: str, email: str, next_path: str) -> None:
    """Sign in from the login page that leads to `next_path`, and wait until it is reached.

    The login page's own address ends with `?next=<path>`, so waiting for a URL that merely
    ends with the path would return at once, before the form was even sent.
    """
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url and next_path.split("?")[0] in url)


LETTERS_WITH_LINES = """element => {
  const letters = [];
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      const letter = document.createRange();
      letter.setStart(node, i);
      letter.setEnd(node, i + 1);
      const rect = letter.getClientRects()[0];
      letters.push([node.data[i], rect ? Math.round(rect.top) : null]);
    }
  }
  return letters;
}"""
"""Every letter of an element's text, with the top of the line it is laid out on."""


def laid_out(element: Locator, text: str) -> list[str]:
    """`text`, as it stands in the element, split into the lines the browser laid it out on."""
    letters = element.evaluate(LETTERS_WITH_LINES)
    start = "".join(letter for letter, _ in letters).index(text)
    lines: dict[int, str] = {}
    for letter, top in letters[start : start + len(text)]:
        lines[top] = lines.get(top, "") + letter
    return list(lines.values())


def broken_as_an_address(lines: list[str]) -> bool:
    """Whether each break between the lines of an e-mail address falls after its @ or before
    a dot."""
    return all(before.endswith("@") or after.startswith(".") for before, after in pairwise(lines))
