"""`plexcare demo load` is what `make run` does on a fresh machine: it must work end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _plexcare(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PLEXCARE_DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [sys.executable, "-m", "plexcare.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )


def test_demo_load_migrates_creates_the_clinic_and_prints_one_login_per_role(
    tmp_path: Path,
) -> None:
    database = tmp_path / "demo.db"
    first = _plexcare("demo", "load", database=database)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "demo clinic created" in first.stdout
    for role in ("admin", "front_desk", "clinician", "patient"):
        assert role in first.stdout
    again = _plexcare("demo", "load", database=database)
    assert again.returncode == 0
    assert "already present" in again.stdout
    revision = _plexcare("db", "current", database=database)
    assert revision.returncode == 0
    assert revision.stdout.strip() and "empty" not in revision.stdout
