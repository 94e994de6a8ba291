"""`plexcare serve` (what `make run` calls) and `plexcare worker`.

The web application, the database layer and the migrations are imported inside the commands:
every `plexcare` call (`kb check`, `assess`) would otherwise pay about a second to import them.
"""

from __future__ import annotations

import logging
import time

import typer


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    demo: bool = typer.Option(True, help="Load the demo clinic when the database is empty."),
) -> None:
    """Migrate the database, load the demo clinic on first start, and serve the app."""
    import uvicorn

    from plexcare.cli.demo import load_and_report
    from plexcare.config import get_settings
    from plexcare.migrate import upgrade
    from plexcare.web.app import create_app

    url = get_settings().database_url
    if demo:
        load_and_report(url)
    else:
        upgrade(url)
    typer.echo(f"plexcare on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


def worker(
    once: bool = typer.Option(False, help="Deliver what is due now, then exit."),
    interval: float = typer.Option(5.0, min=0.1, help="Seconds between rounds."),
) -> None:
    """Send due notifications (with retries) and pass lapsed waitlist offers on."""
    from plexcare.config import get_settings
    from plexcare.db import session_factory, utc_now
    from plexcare.notifications.senders import LoggingShortMessageSender, SmtpEmailSender
    from plexcare.notifications.worker import Senders, deliver_due, expire_waitlist_offers

    logging.basicConfig(level=logging.INFO)
    settings = get_settings()
    sessions = session_factory(settings.database_url)
    outlets = Senders(
        email=SmtpEmailSender(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_sender
        ),
        short_message=LoggingShortMessageSender(),
    )
    while True:
        now = utc_now()
        expire_waitlist_offers(sessions=sessions, now=now)
        report = deliver_due(sessions=sessions, outlets=outlets, settings=settings, now=now)
        if report.sent or report.failed or report.retried:
            typer.echo(f"sent {report.sent}, retried {report.retried}, failed {report.failed}")
        if once:
            return
        time.sleep(interval)
