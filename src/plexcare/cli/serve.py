"""`plexcare serve` (what `make run` calls) and `plexcare worker`.

The web application, the database layer and the migrations are imported inside the commands:
every `plexcare` call (`kb check`, `assess`) would otherwise pay about a second to import them.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import typer

from plexcare.cli.collector import collection_paused


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    demo: bool = typer.Option(
        False,
        help="Load the demo clinic (published passwords) when the database is empty; allows "
        "the default secret key.",
    ),
    worker: bool = typer.Option(
        True,
        "--worker/--no-worker",
        help="Send the outbox's messages from this process too (in a background thread).",
    ),
    mail_sink: bool | None = typer.Option(
        None,
        "--mail-sink/--no-mail-sink",
        help="Start the local SMTP sink on PLEXCARE_SMTP_HOST:PLEXCARE_SMTP_PORT, kept in "
        "PLEXCARE_MAILBOX_DIR and read by staff at /desk/mailbox (default: with --demo).",
    ),
) -> None:
    """Migrate the database and serve the app; `--demo` for a trial with the demo clinic.

    Refuses (exit 2) to start with the default secret key, which anyone can use to forge form
    tokens, unless `--demo` is given or PLEXCARE_DEVELOPMENT=true. Messages leave while it
    serves: the outbox worker runs in a background thread (`--no-worker` when a separate
    `plexcare worker` sends them), and with `--demo` they go to a local SMTP sink whose
    messages staff read at /desk/mailbox, so nothing reaches a real address.
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

    # Start-up builds what the server keeps for its life (`cli.collector`): the app's
    # lifespan collects once and freezes it (`web.long_lived`).
    with collection_paused():
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
    sink = None
    if demo if mail_sink is None else mail_sink:
        from plexcare.notifications.mailbox import MailSink

        sink = MailSink(
            host=settings.smtp_host, port=settings.smtp_port, directory=settings.mailbox_dir
        )
        app.state.mailbox_dir = settings.mailbox_dir
        try:
            sink.start()
        except Exception as error:
            sink = None
            typer.echo(
                f"warning: the mail sink could not listen on {settings.smtp_host}:"
                f"{settings.smtp_port} ({type(error).__name__}); messages wait in the outbox "
                "and are retried",
                err=True,
            )
        else:
            typer.echo(
                f"mail sink on {settings.smtp_host}:{settings.smtp_port}: messages are kept in "
                f"{settings.mailbox_dir} and shown to staff at http://{host}:{port}/desk/mailbox"
            )
    background = None
    if worker:
        from plexcare.db import session_factory
        from plexcare.notifications.worker import BackgroundWorker, smtp_senders

        background = BackgroundWorker(
            sessions=session_factory(url), outlets=smtp_senders(settings), settings=settings
        )
        background.start()
        typer.echo("outbox worker running: confirmations and reminders are sent as they fall due")
    typer.echo(f"plexcare on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    try:
        # The socket peer is handed over untouched: X-Forwarded-For and X-Forwarded-Proto
        # count only from `trusted_proxies` (web/dependencies.py, web/security_headers.py),
        # never from whatever uvicorn trusts by default (127.0.0.1).
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
    finally:
        if background is not None:
            background.stop()
        if sink is not None:
            sink.stop()


def worker(
    once: bool = typer.Option(False, help="Deliver what is due now, then exit."),
    interval: float = typer.Option(5.0, min=0.1, help="Seconds between rounds."),
) -> None:
    """Send due notifications (with retries) and pass lapsed waitlist offers on."""
    from plexcare.config import get_settings
    from plexcare.db import session_factory, utc_now
    from plexcare.notifications.worker import deliver_round, smtp_senders

    logging.basicConfig(level=logging.INFO)
    settings = get_settings()
    sessions = session_factory(settings.database_url)
    outlets = smtp_senders(settings)
    while True:
        report = deliver_round(sessions=sessions, outlets=outlets, settings=settings, now=utc_now())
        if report.sent or report.failed or report.retried:
            typer.echo(f"sent {report.sent}, retried {report.retried}, failed {report.failed}")
        if once:
            return
        time.sleep(interval)
