"""The demo's mail path for tests: the local SMTP sink on a free port, and the app served with
the outbox worker in a background thread sending to it, as `make run` runs them. The mailbox
tests and the browser tests that follow a confirmation into the demo mailbox share it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI

from plexcare.config import Settings
from plexcare.db import session_factory
from plexcare.notifications.mailbox import MailSink
from plexcare.notifications.worker import BackgroundWorker, smtp_senders
from tests.browser import served
from tests.conftest_db import TEST_NOW


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_sink(directory: Path) -> Iterator[MailSink]:
    """The SMTP sink on a free local port, keeping what it receives in `directory`."""
    started = MailSink(host="127.0.0.1", port=free_port(), directory=directory)
    started.start()
    try:
        yield started
    finally:
        started.stop()


def sink_address(sink: MailSink) -> tuple[str, int]:
    controller = sink._controller  # the address the test chose
    return str(controller.hostname), int(controller.port)


def sink_settings(sink: MailSink, db_url: str) -> Settings:
    host, port = sink_address(sink)
    return Settings(database_url=db_url, smtp_host=host, smtp_port=port)


@contextmanager
def served_with_mail(app: FastAPI, db_url: str, sink: MailSink) -> Iterator[str]:
    """`app` on a real server whose outbox worker (every 0.2 s, at the tests' clock) sends to
    `sink`, and whose demo mailbox reads what the sink kept."""
    app.state.mailbox_dir = sink.mailbox.directory
    settings = sink_settings(sink, db_url)
    worker = BackgroundWorker(
        sessions=session_factory(db_url),
        outlets=smtp_senders(settings),
        settings=settings,
        interval=0.2,
        clock=lambda: TEST_NOW,
    )
    worker.start()
    try:
        with served(app) as url:
            yield url
    finally:
        worker.stop()
