"""Accept a patient's report or image for a second opinion, safely.

A file name and a declared content type are whatever the sender says they are, so neither
decides anything here: the bytes do. A file is accepted only if its content has the structure
of a PDF, JPEG, PNG or DICOM file, and the detected type (never the name) picks the stored
extension. A Windows program or a Linux binary renamed to ``report.pdf`` is refused.

The upload is streamed in chunks into a temporary file next to its final place, hashed as it
goes, and refused as soon as it passes the size limit, so an endless or huge stream never sits
in memory and a refused upload leaves nothing behind. A finished upload is flushed to disk and
then renamed into place in one step (``os.replace``), so a crash leaves either no file or the
whole file, never half of one. Stored names are random, so a patient's file name never becomes
a path and one patient cannot guess another's file; the original name is kept for display only,
after sanitising.

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
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from plexcare.errors import InvalidInput, NotFound

__all__ = [
    "ACCEPTED_KINDS_TEXT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_UPLOAD_DIR",
    "StoredUpload",
    "UploadCorrupted",
    "UploadKind",
    "UploadRefused",
    "UploadTooLarge",
    "describe_size",
    "detect_kind",
    "read_upload",
    "sanitize_file_name",
    "store_upload",
    "verify_upload",
]

MEGABYTE = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MEGABYTE
DEFAULT_UPLOAD_DIR = Path("var/uploads")
"""Relative to the working directory, outside the package and its served static folder."""

_CHUNK = 64 * 1024
_HEAD = 512  # enough for every signature checked below (DICOM needs 132 + 4 bytes)
_TAIL = 1024  # PDF readers look for %%EOF within the last kilobyte; we do the same
_PACKAGE_STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
_STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{32}\.(pdf|jpg|png|dcm)$")
_DISPLAY_NAME_LIMIT = 120

ACCEPTED_KINDS_TEXT = "PDF, JPEG, PNG or DICOM"


class UploadKind(StrEnum):
    """The file types a second opinion accepts, as found in the content."""

    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    DICOM = "dicom"

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self]

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self]


_CONTENT_TYPES = {
    UploadKind.PDF: "application/pdf",
    UploadKind.JPEG: "image/jpeg",
    UploadKind.PNG: "image/png",
    UploadKind.DICOM: "application/dicom",
}
_EXTENSIONS = {
    UploadKind.PDF: ".pdf",
    UploadKind.JPEG: ".jpg",
    UploadKind.PNG: ".png",
    UploadKind.DICOM: ".dcm",
}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_EXECUTABLES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program (ELF)"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xfe\xed\xfa\xcf", "a macOS program"),
    (b"#!", "a script"),
    (b"PK\x03\x04", "a ZIP archive"),
)


class UploadRefused(InvalidInput):
    """The uploaded file is not one we accept; the message names the file and says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="file")


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
        return next(k for k in UploadKind if k.content_type == self.content_type)


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


def _png_header_is_valid(head: bytes) -> bool:
    """Signature, then an IHDR chunk of length 13 with a matching CRC and a non-empty image."""
    if len(head) < 33 or not head.startswith(_PNG_SIGNATURE):
        return False
    length = int.from_bytes(head[8:12], "big")
    if length != 13 or head[12:16] != b"IHDR":
        return False
    body = head[16:29]
    crc = int.from_bytes(head[29:33], "big")
    width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
    return zlib.crc32(b"IHDR" + body) == crc and width > 0 and height > 0


def _dicom_header_is_valid(head: bytes) -> bool:
    """A Part 10 file: 128-byte preamble, ``DICM``, then the file meta group (0002) begins."""
    return len(head) >= 136 and head[128:132] == b"DICM" and head[132:134] == b"\x02\x00"


def detect_kind(head: bytes, tail: bytes) -> UploadKind | None:
    """The accepted type whose structure `head` (first bytes) and `tail` (last bytes) show.

    Pure and cheap: the caller keeps the first 512 and last 1,024 bytes of the stream. For a
    file shorter than that, `head` and `tail` may overlap.
    """
    if head.startswith(b"%PDF-") and b"%%EOF" in tail:
        return UploadKind.PDF
    if head.startswith(b"\xff\xd8\xff") and b"\xff\xd9" in tail:
        return UploadKind.JPEG
    if _png_header_is_valid(head) and _PNG_IEND in tail:
        return UploadKind.PNG
    if _dicom_header_is_valid(head):
        return UploadKind.DICOM
    return None


def _could_become_accepted(head: bytes) -> bool:
    """False as soon as the first bytes rule out every accepted type, so we can stop early."""
    for signature in (b"%PDF-", b"\xff\xd8\xff", _PNG_SIGNATURE):
        if head[: len(signature)] == signature[: len(head)]:
            return True
    return len(head) < 132 or head[128:132] == b"DICM"


def _why_refused(name: str, head: bytes, tail: bytes) -> str:
    for signature, what in _EXECUTABLES:
        if head.startswith(signature):
            return (
                f"file '{name}' was refused: its content is {what}, not a "
                f"{ACCEPTED_KINDS_TEXT} file, whatever its name says"
            )
    if head.startswith(b"%PDF-"):
        return f"file '{name}' was refused: it starts like a PDF but is incomplete (no %%EOF)"
    if head.startswith(b"\xff\xd8\xff"):
        return f"file '{name}' was refused: it starts like a JPEG but is incomplete"
    if head.startswith(_PNG_SIGNATURE):
        return f"file '{name}' was refused: it starts like a PNG but is damaged or incomplete"
    return (
        f"file '{name}' was refused: its content is not a {ACCEPTED_KINDS_TEXT} file "
        "(checked by content, not by name)"
    )


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
    """Check `stream` by content and store it under `directory` with a random name.

    Raises `UploadRefused` (empty, not an accepted type) or `UploadTooLarge` (over
    `max_bytes`), leaving nothing on disk. Raises `ValueError` if `directory` lies inside the
    package's static folder or any of `served_directories`: a configuration mistake.
    """
    if max_bytes < 1:
        raise ValueError("max_bytes must be positive")
    name = sanitize_file_name(original_name)
    target_directory = _check_outside_served(directory, served_directories)
    target_directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(prefix=".incoming-", suffix=".part", dir=target_directory)
    temporary_path = Path(temporary)
    try:
        digest = hashlib.sha256()
        head = b""
        tail = b""
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
                    if not _could_become_accepted(head):
                        raise UploadRefused(_why_refused(name, head, tail))
                tail = (tail + chunk)[-_TAIL:]
                digest.update(chunk)
                output.write(chunk)
            if size == 0:
                raise UploadRefused(f"file '{name}' is empty")
            kind = detect_kind(head, tail)
            if kind is None:
                raise UploadRefused(_why_refused(name, head, tail))
            output.flush()
            os.fsync(output.fileno())
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
    if not _STORED_NAME.fullmatch(stored_name):
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
