"""The `plexcare` command: thin wiring from arguments to services to printed output."""

from __future__ import annotations

import typer

from plexcare import __version__
from plexcare.cli.assess import assess_command, schema_app, triage_command
from plexcare.cli.db import app as db_app
from plexcare.cli.demo import app as demo_app
from plexcare.cli.kb import app as kb_app
from plexcare.cli.serve import serve, worker
from plexcare.cli.validate import validate_command

app = typer.Typer(
    name="plexcare",
    help="Care platform for lumbosacral plexopathy.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(kb_app, name="kb")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.command("serve")(serve)
app.command("worker")(worker)
app.command("assess")(assess_command)
app.command("triage")(triage_command)
app.command("validate")(validate_command)
app.add_typer(schema_app, name="schema")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"plexcare {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Care platform for lumbosacral plexopathy."""
