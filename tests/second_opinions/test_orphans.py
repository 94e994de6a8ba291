"""What a crash leaves in the upload folder is cleared at start-up, on SQLite and PostgreSQL:
unfinished ``.part`` files and files no row names go; files with rows stay; rows whose file is
gone are reported; anything changed in the last minutes, or not ours, is left alone."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.accounts.actor import Actor
from plexcare.second_opinions import service
from plexcare.second_opinions.models import SecondOpinionFile
from plexcare.second_opinions.orphans import (
    sweep_orphan_uploads,
    sweep_orphan_uploads_at_start_up,
)
from plexcare.second_opinions.uploads import store_upload
from tests.conftest_db import TEST_NOW, SmallClinic
from tests.second_opinions.samples import JPEG, PDF, PNG

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR_AGO = NOW - timedelta(hours=1)


def aged(path: Path, when: datetime = HOUR_AGO, content: bytes | None = None) -> Path:
    """`path` (written with `content` first, if given) last changed at `when`."""
    if content is not None:
        path.write_bytes(content)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def submit_with_files(
    session: Session, clinic: SmallClinic, upload_dir: Path, contents: list[bytes]
) -> list[str]:
    """A committed request with these files; their stored names, in order."""
    service.submit(
        session=session,
        actor=Actor(user_id=clinic.patient_a.id, role="patient"),
        question="Is surgery needed for my plexus lesion?",
        files=[
            service.IncomingFile(stream=io.BytesIO(content), file_name="scan")
            for content in contents
        ],
        directory=upload_dir,
        max_bytes=1024 * 1024,
        now=TEST_NOW,
    )
    session.commit()
    return list(session.scalars(select(SecondOpinionFile.stored_name).order_by("id")))


def test_the_sweep_removes_unfinished_and_unreferenced_files_and_keeps_those_with_rows(
    session: Session, small_clinic: SmallClinic, upload_dir: Path
) -> None:
    kept = [
        aged(upload_dir / name)
        for name in submit_with_files(session, small_clinic, upload_dir, [PDF, PNG])
    ]
    aged(upload_dir / ".incoming-k1ll3d.part", content=PDF[:40])
    never_committed = store_upload(io.BytesIO(JPEG), original_name="x", directory=upload_dir)
    aged(upload_dir / never_committed.stored_name)

    report = sweep_orphan_uploads(session=session, upload_dir=upload_dir, now=NOW)

    assert report.removed_partial == (".incoming-k1ll3d.part",)
    assert report.removed_unreferenced == (never_committed.stored_name,)
    assert report.missing_file_ids == ()
    assert sorted(upload_dir.iterdir()) == sorted(kept)


def test_files_changed_within_the_grace_period_are_left_for_an_upload_in_progress(
    session: Session, small_clinic: SmallClinic, upload_dir: Path
) -> None:
    upload_dir.mkdir()
    in_progress = aged(upload_dir / ".incoming-busy.part", NOW - timedelta(minutes=2), PDF[:10])
    just_stored = store_upload(io.BytesIO(PDF), original_name="x", directory=upload_dir)
    aged(upload_dir / just_stored.stored_name, NOW - timedelta(seconds=5))

    report = sweep_orphan_uploads(session=session, upload_dir=upload_dir, now=NOW)

    assert sorted(report.kept_recent) == sorted([in_progress.name, just_stored.stored_name])
    assert report.removed == 0
    assert in_progress.exists() and (upload_dir / just_stored.stored_name).exists()


def test_rows_whose_file_is_gone_are_reported_and_names_not_ours_are_left_alone(
    session: Session, small_clinic: SmallClinic, upload_dir: Path
) -> None:
    lost, present = submit_with_files(session, small_clinic, upload_dir, [PDF, PNG])
    (upload_dir / lost).unlink()
    (upload_dir / "README.txt").write_text("backups run nightly")
    (upload_dir / "archive").mkdir()
    lost_id = session.scalar(
        select(SecondOpinionFile.id).where(SecondOpinionFile.stored_name == lost)
    )

    report = sweep_orphan_uploads(session=session, upload_dir=upload_dir, now=NOW)

    assert report.missing_file_ids == (lost_id,)
    assert report.ignored == ("README.txt", "archive")
    assert (upload_dir / present).exists() and (upload_dir / "README.txt").exists()
    assert report.removed == 0


def test_a_missing_upload_folder_only_reports_the_rows(
    session: Session, small_clinic: SmallClinic, upload_dir: Path, tmp_path: Path
) -> None:
    submit_with_files(session, small_clinic, upload_dir, [PDF])

    report = sweep_orphan_uploads(session=session, upload_dir=tmp_path / "elsewhere", now=NOW)

    assert len(report.missing_file_ids) == 1
    assert report.removed == 0


def test_the_start_up_sweep_opens_its_own_session_and_clears_old_orphans(
    db_url: str, upload_dir: Path
) -> None:
    upload_dir.mkdir()
    day_ago = datetime.now(UTC) - timedelta(days=1)
    leftover = aged(upload_dir / ".incoming-crash.part", day_ago, b"%PDF-")

    report = sweep_orphan_uploads_at_start_up(database_url=db_url, upload_dir=upload_dir)

    assert report.removed_partial == (leftover.name,)
    assert list(upload_dir.iterdir()) == []
