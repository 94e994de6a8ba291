"""axe-core run in the page a browser test has open: no serious or critical violations.

axe-core comes from npm (package.json, installed by `make test` into node_modules); it is
injected from there at test time and never served by the application.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def _axe_script() -> Path:
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"axe-core is missing at {AXE}: run `make axe`")
        pytest.skip("axe-core is not installed (make axe)")
    return AXE


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical axe violations on the page as it is now, each with the
    selectors of the elements that break the rule."""
    # Evaluated through the DevTools protocol, which the pages' Content-Security-Policy
    # (scripts from the site only) does not govern, unlike an injected <script> tag.
    page.evaluate(_axe_script().read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [", ".join(node["target"]) for node in violation["nodes"]],
        }
        for violation in result["violations"]
        if violation["impact"] in BLOCKING
    ]


def assert_accessible(page: Page) -> None:
    """Fail with the rule, its help text and the offending elements, page by page."""
    found = serious_violations(page)
    assert not found, f"axe on {page.url}: {found}"
