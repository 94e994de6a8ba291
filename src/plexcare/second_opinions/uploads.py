"""Store a patient's report or image for a second opinion, safely.

A file name and a declared content type are whatever the sender says they are, so neither
decides anything here: the bytes do (`formats` says how). The detected type, never the name,
picks the stored extension, the content type served back and the download name.

The upload is streamed in chunks into a private temporary file (``.incoming-*.part``, mode
0600) next to its final place, hashed as it goes, and refused as soon as it passes the size
limit or its first bytes rule out every accepted type, so an endless or huge stream never sits
in memory. Only when the whole file has passed its content check is it flushed and renamed into
place in one step (``os.replace``): a refused upload leaves nothing behind, and a crash leaves
at most a ``.part`` file or a stored file whose row was never committed, both of which
`orphans.sweep_orphan_uploads` removes at start-up. Stored names are random, so a patient's
file name never becomes a path and one patient cannot guess another's file; the original name
is kept for display only, after sanitising. Directories are created 0700.

Usage::

    from plexcare.second_opinions.uploads import read_upload, store_upload

    stored = store_upload(request_file, original_name="MRI report.pdf",
                          directory=Path("var/uploads"))
    stored.stored_name, stored.content_type, stored.sha256     # keep these in the database
    data = read_upload(directory=Path("var/uploads"), stored_name=stored.stored_name,
                       sha256=stored.sha256)                   # checksum verified
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from plexcare.db import make_private_directory
from plexcare.errors import NotFound
from plexcare.second_opinions.formats import (
    ACCEPTED_KINDS_TEXT,
    UploadKind,
    UploadRefused,
    UploadUnsupported,
    could_become_accepted,
    identify,
    verify_content,
    why_unsupported,
)

__all__ = [
    "ACCEPTED_KINDS_TEXT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_UPLOAD_DIR",
    "PARTIAL_PREFIX",
    "PARTIAL_SUFFIX",
    "StoredUpload",
    "UploadCorrupted",
    "UploadKind",
    "UploadRefused",
    "UploadTooLarge",
    "UploadUnsupported",
    "describe_size",
    "is_stored_name",
    "read_upload",
    "sanitize_file_name",
    "store_upload",
    "verify_upload",
]

MEGABYTE = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MEGABYTE
DEFAULT_UPLOAD_DIR = Path("var/uploads")
"""Relative to the working directory, outside the package and its served static folder."""
PARTIAL_PREFIX = ".incoming-"
PARTIAL_SUFFIX = ".part"

_CHUNK = 64 * 1024
_HEAD = 512  # enough for every signature (DICOM: 128-byte preamble, then DICM)
_PACKAGE_STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
_STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{32}\.(pdf|jpg|png|dcm)$")
_DISPLAY_NAME_LIMIT = 120
_PRIVATE_FILE = 0o600


class UploadTooLarge(UploadRefused):
    """The upload passed the size limit (HTTP 413: the body, not its shape, is the problem)."""

    status = 413
    title = "File too large"


class UploadCorrupted(Exception):
    """A stored file no longer matches its checksum: a storage fault, never the patient's."""


@dataclass(frozen=True)
class StoredUpload:
    """What to keep in the database about a stored file.

    ``stored_name`` is the random file name under the upload directory; ``original_name`` is
    the sanitised name the patient gave, for display only.
    """

    stored_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str

    @property
    def kind(self) -> UploadKind:
        kind = UploadKind.of_content_type(self.content_type)
        assert kind is not None
        return kind


def is_stored_name(name: str) -> bool:
    """Whether `name` is one this module generates for a stored file."""
    return _STORED_NAME.fullmatch(name) is not None


def describe_size(size: int) -> str:
    """A limit in the words a patient reads: ``20 MB`` (1 MB = 1,048,576 bytes), ``512 KB``."""
    if size >= MEGABYTE and size % MEGABYTE == 0:
        return f"{size // MEGABYTE} MB"
    if size >= MEGABYTE:
        return f"{size / MEGABYTE:.1f} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def sanitize_file_name(name: str | None) -> str:
    """The patient's file name made safe to show: no folders, control characters or markup.

    Only ever displayed; stored files get random names, so this never has to be a safe path.
    """
    text = unicodedata.normalize("NFKC", name or "")
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = re.sub(r"[^\w .()+,-]", "_", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    if len(text) > _DISPLAY_NAME_LIMIT:
        stem, dot, suffix = text.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            text = f"{stem[: _DISPLAY_NAME_LIMIT - len(suffix) - 1]}.{suffix}"
        else:
            text = text[:_DISPLAY_NAME_LIMIT]
    return text or "upload"


def _check_outside_served(directory: Path, served_directories: Iterable[Path]) -> Path:
    resolved = directory.resolve()
    for served in (_PACKAGE_STATIC, *served_directories):
        served_resolved = served.resolve()
        if resolved == served_resolved or served_resolved in resolved.parents:
            raise ValueError(
                f"upload directory {resolved} is inside the served folder {served_resolved}; "
                "uploads must never be reachable as static files"
            )
    return resolved


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def store_upload(
    stream: BinaryIO,
    *,
    original_name: str | None,
    directory: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    served_directories: Iterable[Path] = (),
) -> StoredUpload:
    """Check `stream` by its whole content and store it under `directory` with a random name.

    Raises `UploadTooLarge` (over `max_bytes`, as soon as it passes), `UploadUnsupported` (not
    an accepted type) or `UploadRefused` (empty, damaged or disguised), leaving nothing on
    disk. Raises `ValueError` if `directory` lies inside the package's static folder or any of
    `served_directories`: a configuration mistake.
    """
    if max_bytes < 1:
        raise ValueError("max_bytes must be positive")
    name = sanitize_file_name(original_name)
    target_directory = _check_outside_served(directory, served_directories)
    make_private_directory(target_directory)
    handle, temporary = tempfile.mkstemp(
        prefix=PARTIAL_PREFIX, suffix=PARTIAL_SUFFIX, dir=target_directory
    )
    temporary_path = Path(temporary)
    try:
        os.fchmod(handle, _PRIVATE_FILE)
        digest = hashlib.sha256()
        head = b""
        size = 0
        with os.fdopen(handle, "wb") as output:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(
                        f"file '{name}' is larger than the {describe_size(max_bytes)} limit"
                    )
                if len(head) < _HEAD:
                    head = (head + chunk)[:_HEAD]
                    if not could_become_accepted(head):
                        raise UploadUnsupported(why_unsupported(name, head))
                digest.update(chunk)
                output.write(chunk)
            if size == 0:
                raise UploadRefused(f"file '{name}' is empty")
            kind = identify(head)
            if kind is None:
                raise UploadUnsupported(why_unsupported(name, head))
            output.flush()
            os.fsync(output.fileno())
        verify_content(kind, temporary_path, name=name)
        stored_name = f"{secrets.token_urlsafe(24)}{kind.extension}"
        os.replace(temporary_path, target_directory / stored_name)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise
    _fsync_directory(target_directory)
    return StoredUpload(
        stored_name=stored_name,
        original_name=name,
        content_type=kind.content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def _stored_path(directory: Path, stored_name: str) -> Path:
    if not is_stored_name(stored_name):
        raise NotFound("no such uploaded file", field="stored_name")
    path = directory / stored_name
    if not path.is_file():
        raise NotFound("no such uploaded file", field="stored_name")
    return path


def verify_upload(*, directory: Path, stored_name: str, sha256: str) -> None:
    """Re-hash a stored file in chunks; raise `UploadCorrupted` if it changed since upload."""
    digest = hashlib.sha256()
    with _stored_path(directory, stored_name).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    if not secrets.compare_digest(digest.hexdigest(), sha256.lower()):
        raise UploadCorrupted(f"stored file {stored_name} does not match its checksum")


def read_upload(*, directory: Path, stored_name: str, sha256: str) -> bytes:
    """The stored file's bytes, only if they still match the checksum taken at upload.

    Only names this module generates are accepted, so a name from a request can never reach
    outside `directory`. Files are at most the upload limit, so reading one whole is bounded.
    """
    data = _stored_path(directory, stored_name).read_bytes()
    if not secrets.compare_digest(hashlib.sha256(data).hexdigest(), sha256.lower()):
        raise UploadCorrupted(f"stored file {stored_name} does not match its checksum")
    return data
