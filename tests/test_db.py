"""The embedded database holds patient records: its file, its WAL files and its folder are
created readable by this user only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from plexcare.db import make_engine, make_private_directory


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_its_wal_files_and_its_new_folders_are_private(tmp_path: Path) -> None:
    database = tmp_path / "var" / "nested" / "plexcare.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE note (body TEXT)"))
            connection.execute(text("INSERT INTO note VALUES ('private')"))
        with engine.connect() as connection:
            connection.execute(text("SELECT body FROM note"))
            written = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert {path.name: mode(path) for path in written} == {
                path.name: 0o600 for path in written
            }
    finally:
        engine.dispose()
    assert mode(tmp_path / "var") == 0o700
    assert mode(tmp_path / "var" / "nested") == 0o700


def test_an_existing_database_readable_by_everyone_is_closed_to_others(tmp_path: Path) -> None:
    database = tmp_path / "plexcare.db"
    database.touch()
    database.chmod(0o664)
    make_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == 0o660


def test_an_existing_folder_is_left_as_it_is(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    make_private_directory(shared / "uploads")
    assert mode(shared) == 0o755
    assert mode(shared / "uploads") == 0o700
