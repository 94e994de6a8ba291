"""Front desk page tests run on a real, migrated SQLite database (see tests/portal/forms.py)."""

from __future__ import annotations

import pytest

from tests.conftest_db import empty_tables


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    empty_tables(sqlite_url)
    return sqlite_url
