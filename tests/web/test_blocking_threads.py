"""On PostgreSQL an app process runs at most `postgres_threads` blocking routes at once (the
rest wait their turn); on SQLite it keeps anyio's 40 threads."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plexcare.app import create_app
from plexcare.config import get_settings

THREADS = 3
REQUESTS = 12


class _Running:
    """How many calls of the route run at once, and the most there ever were."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def route(self) -> dict[str, int]:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.05)
        with self.lock:
            self.now -= 1
        return {"ok": 1}


def _most_at_once(database_url: str) -> int:
    app: FastAPI = create_app(get_settings().model_copy(update={"postgres_threads": THREADS}))
    app.state.database_url = database_url
    running = _Running()
    app.add_api_route("/test-only/blocking", running.route, methods=["GET"])
    with TestClient(app) as client, ThreadPoolExecutor(REQUESTS) as callers:
        answers = list(
            callers.map(lambda _: client.get("/test-only/blocking").status_code, range(REQUESTS))
        )
    assert answers == [200] * REQUESTS
    return running.most


@pytest.mark.postgres
def test_on_postgresql_blocking_routes_take_turns_on_the_set_threads(postgres_url: str) -> None:
    assert _most_at_once(postgres_url) == THREADS


def test_on_sqlite_blocking_routes_keep_the_default_threads(sqlite_url: str) -> None:
    assert _most_at_once(sqlite_url) > THREADS
