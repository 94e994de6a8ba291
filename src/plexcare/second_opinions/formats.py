"""What an uploaded report or image really is, judged from all of its bytes.

A name and a declared content type are whatever the sender says, and a first-bytes signature
is easy to fake: a Windows program can carry ``DICM`` at byte 128, an HTML page can start with
``%PDF-``. So the first bytes only choose which check to run, and a file is accepted only when
its whole content passes that check: `pdf`, `images` (PNG, JPEG) and `dicom` say what each
verifies and why.

A damaged or disguised file of an accepted type raises `UploadRefused` (HTTP 422, field
``file``); anything else raises `UploadUnsupported` (HTTP 415). Both name the file and the
problem.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from plexcare.errors import InvalidInput
from plexcare.second_opinions import dicom, images, pdf
from plexcare.second_opinions.content import Content, Malformed, active_start

__all__ = [
    "ACCEPTED_KINDS_TEXT",
    "UploadKind",
    "UploadRefused",
    "UploadUnsupported",
    "could_become_accepted",
    "identify",
    "verify_content",
    "why_unsupported",
]

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

    @property
    def label(self) -> str:
        return "DICOM file" if self is UploadKind.DICOM else self.name

    @classmethod
    def of_content_type(cls, content_type: str) -> UploadKind | None:
        return next((kind for kind in cls if kind.content_type == content_type), None)


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


class UploadRefused(InvalidInput):
    """The uploaded file is damaged or disguised; the message names the file and says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="file")


class UploadUnsupported(UploadRefused):
    """The content is none of the accepted types (HTTP 415), whatever the file's name says."""

    status = 415
    title = "Unsupported file type"


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SIGNATURES = ((b"%PDF-", UploadKind.PDF), (b"\xff\xd8\xff", UploadKind.JPEG))
_MAPPED_CHECKS: dict[UploadKind, Callable[[Content], None]] = {
    UploadKind.PDF: pdf.check_pdf,
    UploadKind.PNG: images.check_png,
    UploadKind.JPEG: images.check_jpeg,
}


def identify(head: bytes) -> UploadKind | None:
    """The accepted type whose signature `head` (at least the first 132 bytes) starts with."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head.startswith(_PNG_SIGNATURE):
        return UploadKind.PNG
    if len(head) >= 132 and head[128:132] == b"DICM" and dicom.preamble_fits(head):
        return UploadKind.DICOM
    return None


def could_become_accepted(head: bytes) -> bool:
    """False as soon as the first bytes rule out every accepted type, so we can stop early."""
    for signature in (b"%PDF-", b"\xff\xd8\xff", _PNG_SIGNATURE):
        if head[: len(signature)] == signature[: len(head)]:
            return True
    if not dicom.preamble_fits(head):
        return False
    return len(head) < 132 or head[128:132] == b"DICM"


def why_unsupported(name: str, head: bytes) -> str:
    what = active_start(head)
    if what is not None:
        return (
            f"file '{name}' was refused: its content is {what}, not a "
            f"{ACCEPTED_KINDS_TEXT} file, whatever its name says"
        )
    if len(head) >= 132 and head[128:132] == b"DICM":
        return (
            f"file '{name}' was refused: it has a DICOM marker but its 128-byte preamble holds "
            "web-page markup"
        )
    return (
        f"file '{name}' was refused: its content is not a {ACCEPTED_KINDS_TEXT} file "
        "(checked by content, not by name)"
    )


def verify_content(kind: UploadKind, path: Path, *, name: str) -> None:
    """Raise `UploadRefused` unless the whole file at `path` has the structure of `kind`."""
    try:
        if kind is UploadKind.DICOM:
            dicom.check_dicom(path)
        else:
            with (
                path.open("rb") as handle,
                mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
            ):
                _MAPPED_CHECKS[kind](data)
    except Malformed as problem:
        raise UploadRefused(
            f"file '{name}' was refused: it starts like a {kind.label} but {problem}"
        ) from None
