"""`python -m plexcare.cli` runs the same command as the `plexcare` script."""

from plexcare.cli.main import run

run()
