"""The `plexcare` command: thin wiring from arguments to services to printed output."""

from __future__ import annotations

import os
import sys

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


ENDED_AT_ONCE = frozenset({"assess"})
"""Commands after which the process ends without the interpreter's teardown (`run`)."""


def run() -> None:
    """The `plexcare` script, and `python -m plexcare.cli`.

    After `assess`, which reads, prints and is done, the process ends at once (`os._exit`,
    its output flushed first) with the exit status the command gave. Python's own ending
    frees the knowledge base, a batch's rows and every module object by object, which took
    0.17 to 0.33 s of every such command: as long as assessing some 2,000 cases. Other commands (a
    server, a worker, a database's migrations) end as Python ends them, their clean-up run.
    """
    if not ENDED_AT_ONCE.intersection(sys.argv[1:2]):
        app()
        return
    try:
        app()
        status = 0
    except SystemExit as exited:
        status = 0 if exited.code is None else int(exited.code)  # typer's codes are ints
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader of the output has gone (`| head`)
        status = status or 1
    os._exit(status)
