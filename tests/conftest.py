"""Shared fixtures: the real knowledge base, loaded once per test process."""

from __future__ import annotations

import pytest

from plexcare.knowledge.loader import knowledge_base
from plexcare.knowledge.model import KnowledgeBase


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return knowledge_base()


pytest_plugins = ["tests.conftest_db"]
