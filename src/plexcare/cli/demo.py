"""`plexcare demo load`: the demo clinic, for trying plexcare out.

The database layer is imported inside the functions to keep every other command fast.
"""

from __future__ import annotations

import typer

app = typer.Typer(help="The demo clinic.", no_args_is_help=True)


def load_and_report(database_url: str) -> None:
    """Migrate, create the demo clinic if the database has none, and print the demo logins."""
    from plexcare.clinic.demo import DEMO_LOGINS, load_demo_clinic
    from plexcare.db import session_factory, utc_now
    from plexcare.migrate import upgrade

    upgrade(database_url)
    with session_factory(database_url)() as session:
        created = load_demo_clinic(session=session, now=utc_now())
        session.commit()
    typer.echo("demo clinic created" if created else "clinic already present; left unchanged")
    typer.echo("demo logins (demo database only):")
    for login in DEMO_LOGINS:
        typer.echo(f"  {login.role.value:<11} {login.email}  {login.password}")


def demo_logins_present(database_url: str) -> bool:
    """Whether any demo login (with its published password) is in the database: the pages
    then say so, whichever command put it there."""
    from plexcare.accounts.repository import user_by_email
    from plexcare.clinic.demo import DEMO_LOGINS
    from plexcare.db import session_factory

    with session_factory(database_url)() as session:
        return any(
            user_by_email(session=session, email=login.email) is not None for login in DEMO_LOGINS
        )


@app.command("load")
def load_command() -> None:
    """Create the demo clinic (six clinicians, EMG room and machine, one login per role)."""
    from plexcare.config import get_settings

    load_and_report(get_settings().database_url)
