"""Fixtures for the web shell's own tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plexcare.config import get_settings


@pytest.fixture
def scratch_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process settings pointed at an empty SQLite file of this test's own: pages open a
    database session even for anonymous visitors, and it must not be ./var/plexcare.db."""
    url = f"sqlite:///{tmp_path / 'scratch.db'}"
    monkeypatch.setenv("PLEXCARE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
