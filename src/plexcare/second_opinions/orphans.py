"""Clear what a crash leaves in the upload folder, at start-up.

An upload is written to a ``.part`` file, renamed into place, and only then gets its database
row, committed by the request. A process killed in between leaves a ``.part`` file, or a stored
file no row names: invisible to everyone, never served, but patient data on disk that nobody
can delete through the application. `sweep_orphan_uploads` removes both, and reports rows whose
file has gone missing (their downloads fail; the clinic has to ask the patient again).

Other workers or instances may be uploading into the same folder while one starts, so files
changed within `grace` (15 minutes; an upload is over in seconds) are left for the next sweep.
Names the upload code never writes (a README, a folder, a link) are left alone and reported.
The sweep only reads the database; it never commits.

At start-up, after migrations::

    from plexcare.second_opinions.orphans import sweep_orphan_uploads_at_start_up
    sweep_orphan_uploads_at_start_up(database_url=url, upload_dir=settings.upload_dir)
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from plexcare.db import session_factory
from plexcare.second_opinions.models import SecondOpinionFile
from plexcare.second_opinions.uploads import PARTIAL_PREFIX, PARTIAL_SUFFIX, is_stored_name

__all__ = [
    "DEFAULT_GRACE",
    "SweepReport",
    "sweep_orphan_uploads",
    "sweep_orphan_uploads_at_start_up",
]

DEFAULT_GRACE = timedelta(minutes=15)
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    """What one sweep of the upload folder found and did (file names, file-row ids)."""

    removed_partial: tuple[str, ...] = ()
    """``.part`` files of uploads that never finished."""
    removed_unreferenced: tuple[str, ...] = ()
    """Stored files no database row names (the request's commit never happened)."""
    kept_recent: tuple[str, ...] = ()
    """Either of the above, changed within the grace period: perhaps an upload in progress."""
    missing_file_ids: tuple[int, ...] = ()
    """`SecondOpinionFile` rows whose stored file is not in the folder."""
    ignored: tuple[str, ...] = ()
    """Entries the upload code never writes, left alone."""
    failed: tuple[str, ...] = ()
    """Files that could not be removed (logged with the reason)."""

    @property
    def removed(self) -> int:
        return len(self.removed_partial) + len(self.removed_unreferenced)


def sweep_orphan_uploads(
    *,
    session: Session,
    upload_dir: Path,
    now: datetime | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> SweepReport:
    """Remove ``.part`` files and row-less stored files older than `grace`; report the rest."""
    moment = now or datetime.now(UTC)
    rows: dict[str, int] = {
        name: file_id
        for name, file_id in session.execute(
            select(SecondOpinionFile.stored_name, SecondOpinionFile.id)
        )
    }
    partial: list[str] = []
    unreferenced: list[str] = []
    recent: list[str] = []
    ignored: list[str] = []
    failed: list[str] = []
    present: set[str] = set()
    entries = sorted(os.scandir(upload_dir), key=lambda e: e.name) if upload_dir.is_dir() else []
    for entry in entries:
        if not entry.is_file(follow_symlinks=False):
            ignored.append(entry.name)
            continue
        is_partial = entry.name.startswith(PARTIAL_PREFIX) and entry.name.endswith(PARTIAL_SUFFIX)
        if not is_partial and not is_stored_name(entry.name):
            ignored.append(entry.name)
            continue
        if entry.name in rows:
            present.add(entry.name)
            continue
        changed = datetime.fromtimestamp(entry.stat(follow_symlinks=False).st_mtime, UTC)
        if moment - changed < grace:
            recent.append(entry.name)
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            continue
        except OSError as error:
            _log.warning("could not remove orphan upload %s: %s", entry.name, error)
            failed.append(entry.name)
            continue
        (partial if is_partial else unreferenced).append(entry.name)
    missing = sorted(file_id for name, file_id in rows.items() if name not in present)
    if missing:
        _log.warning(
            "second-opinion files missing from %s (file ids %s): their downloads will fail",
            upload_dir,
            ", ".join(map(str, missing)),
        )
    return SweepReport(
        removed_partial=tuple(partial),
        removed_unreferenced=tuple(unreferenced),
        kept_recent=tuple(recent),
        missing_file_ids=tuple(missing),
        ignored=tuple(ignored),
        failed=tuple(failed),
    )


def sweep_orphan_uploads_at_start_up(
    *, database_url: str, upload_dir: Path, grace: timedelta = DEFAULT_GRACE
) -> SweepReport:
    """One sweep in its own read-only session, logged; call it after migrations. A single
    server that knows no other process writes to `upload_dir` may pass a zero `grace`."""
    with session_factory(database_url)() as session:
        report = sweep_orphan_uploads(session=session, upload_dir=upload_dir, grace=grace)
        session.rollback()
    _log.info(
        "upload sweep of %s: removed %d unfinished and %d unreferenced files, "
        "kept %d recent, %d rows without a file",
        upload_dir,
        len(report.removed_partial),
        len(report.removed_unreferenced),
        len(report.kept_recent),
        len(report.missing_file_ids),
    )
    return report
