"""`plexcare serve` (what `make run` calls) and `plexcare worker`.

The web application, the database layer and the migrations are imported inside the commands:
every `plexcare` call (`kb check`, `assess`) would otherwise pay about a second to import them.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import typer


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    demo: bool = typer.Option(
        False,
        help="Load the demo clinic (published passwords) when the database is empty; allows "
        "the default secret key.",
    ),
) -> None:
    """Migrate the database and serve the app; `--demo` for a trial with the demo clinic.

    Refuses (exit 2) to start with the default secret key, which anyone can use to forge form
    tokens, unless `--demo` is given or PLEXCARE_DEVELOPMENT=true.
    """
    from plexcare.config import DEFAULT_SECRET_KEY, get_settings

    settings = get_settings()
    default_key = settings.secret_key == DEFAULT_SECRET_KEY
    if default_key and not (demo or settings.development):
        typer.echo(
            "plexcare serve: refusing to start with the default secret key; set "
            "PLEXCARE_SECRET_KEY to a long random value (or use --demo, or "
            "PLEXCARE_DEVELOPMENT=true on a developer's machine)",
            err=True,
        )
        raise typer.Exit(2)

    import uvicorn

    from plexcare.app import create_app
    from plexcare.cli.demo import demo_logins_present, load_and_report
    from plexcare.db import make_private_directory
    from plexcare.migrate import upgrade
    from plexcare.second_opinions.orphans import sweep_orphan_uploads_at_start_up

    url = settings.database_url
    make_private_directory(settings.upload_dir)
    if demo:
        load_and_report(url)
    else:
        upgrade(url)
    sweep_orphan_uploads_at_start_up(
        database_url=url,
        upload_dir=settings.upload_dir,
        grace=timedelta(minutes=settings.upload_sweep_grace_minutes),
    )
    app = create_app(settings)
    app.state.demo_clinic = demo_logins_present(url)
    if default_key:
        typer.echo("warning: the default secret key is in use; form tokens can be forged")
    if app.state.demo_clinic:
        typer.echo("warning: this database holds the demo logins, whose passwords are published")
    typer.echo(f"plexcare on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    # The socket peer is handed over untouched: X-Forwarded-For and X-Forwarded-Proto count
    # only from `trusted_proxies` (web/dependencies.py, web/security_headers.py), never from
    # whatever uvicorn trusts by default (127.0.0.1).
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


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
