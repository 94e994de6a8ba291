"""`plexcare db`: migrate the database named by PLEXCARE_DATABASE_URL.

Alembic and SQLAlchemy are imported inside the commands to keep every other command fast.
"""

from __future__ import annotations

import typer

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(
    revision: str = typer.Argument("head", help="Target revision (default: the latest)."),
) -> None:
    """Apply migrations up to REVISION."""
    from plexcare.config import get_settings
    from plexcare.migrate import current_revision, upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {current_revision(get_settings().database_url)}")


@app.command("downgrade")
def downgrade_command(revision: str = typer.Argument(..., help="e.g. -1 or a revision id")) -> None:
    """Step migrations back to REVISION."""
    from plexcare.config import get_settings
    from plexcare.migrate import current_revision, downgrade

    downgrade(get_settings().database_url, revision)
    typer.echo(f"database at {current_revision(get_settings().database_url)}")


@app.command("current")
def current_command() -> None:
    """Print the revision the database is at."""
    from plexcare.config import get_settings
    from plexcare.migrate import current_revision

    typer.echo(current_revision(get_settings().database_url) or "empty (never migrated)")
