"""Self-check answers shared by the engine, service and page tests."""

from __future__ import annotations

from typing import Any

NO_WARNINGS: dict[str, Any] = {
    "saddle_numbness": False,
    "bladder_bowel_trouble": False,
    "weakness_getting_worse": "not_worse",
    "breathing_or_swallowing": False,
    "cold_pale_leg": False,
    "fever": False,
    "sudden_pain": False,
    "bleeding_or_swelling": False,
}
"""Every warning-sign question answered no, so a test states only what it is about."""


def as_form(answers: dict[str, Any]) -> dict[str, str]:
    """The same answers as a browser posts them (yes/no for booleans)."""
    return {
        key: ("yes" if value else "no") if isinstance(value, bool) else str(value)
        for key, value in answers.items()
    }
