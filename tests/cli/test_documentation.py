"""The command reference stays honest: a command that is not documented fails the build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from plexcare.cli.main import app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _command_paths(command: Any, prefix: str) -> list[str]:
    """Typer builds click-like groups; anything with sub-commands is walked."""
    subcommands = getattr(command, "commands", None)
    if subcommands:
        paths: list[str] = []
        for name, sub in subcommands.items():
            paths.extend(_command_paths(sub, f"{prefix} {name}"))
        return paths
    return [prefix]


def test_every_command_is_in_the_command_reference() -> None:
    documented = DOCS.read_text()
    commands = _command_paths(typer.main.get_command(app), "plexcare")
    assert len(commands) >= 10
    missing = [path for path in commands if f"`{path}" not in documented]
    assert not missing, f"document these in docs/cli.md: {missing}"


def test_every_example_in_the_reference_names_a_file_that_exists() -> None:
    root = DOCS.parents[1]
    for line in DOCS.read_text().splitlines():
        for word in line.split():
            if word.startswith("examples/") and "." in word:
                assert (root / word).exists(), word
