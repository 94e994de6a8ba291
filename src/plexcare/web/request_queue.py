"""On the embedded SQLite store, at most a few dozen requests are in flight; the rest wait.

A process has one SQLite connection (`plexcare.db`), and a request waiting for it waits in a
threadpool thread. A request that ends without committing (a 409, a page that only read) hands
the connection back by rolling back, which ran in the threadpool too. With every thread waiting
for the connection, nobody was left to roll back, and the burst stalled until the pool gave up
after 30 s (the 500s and 503s a 50-booking burst produced). Rollbacks now have threads of their
own (`web.dependencies.rollback_threads`); the queue still keeps a burst's requests waiting
here, in the event loop, rather than in threads. Admitting fewer requests than there are
threads (anyio's default is 40) keeps threads free, so a burst queues here, cheaply, in the
event loop, and gets slower rather than failing. A request that waits too long is told to come
back: 503 with Retry-After.

PostgreSQL has a connection per thread and is not queued here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from weakref import WeakKeyDictionary

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from plexcare.web.dependencies import on_sqlite
from plexcare.web.problems import problem

SQLITE_REQUESTS_IN_FLIGHT = 32
"""Below the threadpool's 40 threads, so at least 8 are always free to roll back."""
QUEUE_WAIT_SECONDS = 30.0
RETRY_AFTER_SECONDS = 5


def _busy(instance: str | None) -> Response:
    return problem(
        503,
        "the server is busy; retry shortly",
        instance=instance,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def connection_wait_timed_out(request: Request, error: Exception) -> Response:
    """Exception handler for SQLAlchemy's pool `TimeoutError`: the request waited its turn for
    a database connection too long. Busy, not broken: 503 with Retry-After, not 500."""
    return _busy(request.url.path)


def uses_sqlite(scope: Scope) -> bool:
    """Whether the app answering `scope` stores its data in SQLite."""
    return on_sqlite(scope["app"])


class RequestQueue:
    """Pure ASGI middleware: admit `in_flight` HTTP requests at a time where `applies`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        in_flight: int = SQLITE_REQUESTS_IN_FLIGHT,
        wait_seconds: float = QUEUE_WAIT_SECONDS,
        applies: Callable[[Scope], bool] = uses_sqlite,
    ) -> None:
        self.app = app
        self.in_flight = in_flight
        self.wait_seconds = wait_seconds
        self.applies = applies
        # One gate per event loop: a semaphore belongs to the loop that first uses it, and a
        # test client runs the same app in a new loop each time it starts.
        self._gates: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            WeakKeyDictionary()
        )

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.in_flight)
        return gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies(scope):
            await self.app(scope, receive, send)
            return
        gate = self._gate()
        try:
            await asyncio.wait_for(gate.acquire(), timeout=self.wait_seconds)
        except TimeoutError:
            await _busy(scope.get("path"))(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            gate.release()
