"""Uploads for a second opinion are judged by their bytes, bounded in size, and stored safely."""

from __future__ import annotations

import hashlib
import io
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.errors import InvalidInput, NotFound
from plexcare.second_opinions.uploads import (
    DEFAULT_MAX_BYTES,
    UploadCorrupted,
    UploadKind,
    UploadRefused,
    UploadTooLarge,
    UploadUnsupported,
    describe_size,
    read_upload,
    sanitize_file_name,
    store_upload,
    verify_upload,
)
from tests.second_opinions.samples import (
    DICOM,
    JPEG,
    LINUX_PROGRAM,
    PDF,
    PNG,
    WINDOWS_PROGRAM,
)


class EndlessPdf(io.RawIOBase):
    """A stream that starts like a PDF and never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.delivered = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = len(buffer)
        if self.delivered == 0:
            buffer[:5] = b"%PDF-"
            buffer[5:size] = b"0" * (size - 5)
        else:
            buffer[:size] = b"0" * size
        self.delivered += size
        return size


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    return tmp_path / "var" / "uploads"


@pytest.mark.parametrize(
    ("content", "kind", "extension", "content_type"),
    [
        (PDF, UploadKind.PDF, ".pdf", "application/pdf"),
        (JPEG, UploadKind.JPEG, ".jpg", "image/jpeg"),
        (PNG, UploadKind.PNG, ".png", "image/png"),
        (DICOM, UploadKind.DICOM, ".dcm", "application/dicom"),
    ],
)
def test_each_accepted_type_is_stored_with_the_extension_its_content_shows(
    upload_dir: Path, content: bytes, kind: UploadKind, extension: str, content_type: str
) -> None:
    stored = store_upload(io.BytesIO(content), original_name="report", directory=upload_dir)

    assert stored.stored_name.endswith(extension)
    assert stored.content_type == content_type
    assert stored.kind is kind
    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert (upload_dir / stored.stored_name).read_bytes() == content


def test_a_png_named_pdf_is_stored_as_a_png_because_content_decides(upload_dir: Path) -> None:
    stored = store_upload(io.BytesIO(PNG), original_name="scan.pdf", directory=upload_dir)

    assert stored.content_type == "image/png"
    assert stored.stored_name.endswith(".png")
    assert stored.original_name == "scan.pdf"


@pytest.mark.parametrize(
    ("content", "what"), [(LINUX_PROGRAM, "Linux program"), (WINDOWS_PROGRAM, "Windows program")]
)
def test_a_renamed_executable_is_refused_naming_the_file_and_the_reason(
    upload_dir: Path, content: bytes, what: str
) -> None:
    with pytest.raises(UploadUnsupported) as refused:
        store_upload(io.BytesIO(content), original_name="mri_report.pdf", directory=upload_dir)

    message = str(refused.value)
    assert "mri_report.pdf" in message
    assert what in message
    assert refused.value.field == "file"
    assert list(upload_dir.iterdir()) == []


def test_refusals_are_invalid_input_so_the_api_answers_4xx() -> None:
    assert issubclass(UploadRefused, InvalidInput)
    assert UploadTooLarge("x").status == 413
    assert UploadUnsupported("x").status == 415
    assert UploadRefused("x").status == 422


def test_a_pdf_without_its_end_marker_is_refused_as_incomplete(upload_dir: Path) -> None:
    truncated = PDF.replace(b"%%EOF", b"")

    with pytest.raises(UploadRefused, match="incomplete"):
        store_upload(io.BytesIO(truncated), original_name="cut.pdf", directory=upload_dir)


def test_a_png_with_a_damaged_header_is_refused(upload_dir: Path) -> None:
    damaged = PNG[:20] + b"\xff" + PNG[21:]

    with pytest.raises(UploadRefused, match="PNG"):
        store_upload(io.BytesIO(damaged), original_name="x.png", directory=upload_dir)


def test_plain_text_renamed_to_a_picture_is_refused(upload_dir: Path) -> None:
    with pytest.raises(UploadRefused, match="not a PDF, JPEG, PNG or DICOM"):
        store_upload(io.BytesIO(b"hello " * 100), original_name="photo.jpg", directory=upload_dir)


def test_an_empty_file_is_refused(upload_dir: Path) -> None:
    with pytest.raises(UploadRefused, match=r"'blank\.pdf' is empty"):
        store_upload(io.BytesIO(b""), original_name="blank.pdf", directory=upload_dir)
    assert list(upload_dir.iterdir()) == []


def test_an_oversized_file_is_refused_with_the_limit_in_the_message(upload_dir: Path) -> None:
    content = PDF + b"0" * 2048

    with pytest.raises(UploadTooLarge) as refused:
        store_upload(
            io.BytesIO(content), original_name="big.pdf", directory=upload_dir, max_bytes=1024
        )

    assert "'big.pdf'" in str(refused.value)
    assert "1 KB limit" in str(refused.value)
    assert list(upload_dir.iterdir()) == []


def test_an_endless_stream_is_cut_off_soon_after_the_default_limit(upload_dir: Path) -> None:
    stream = EndlessPdf()

    with pytest.raises(UploadTooLarge, match="20 MB limit"):
        store_upload(io.BufferedReader(stream), original_name="loop.pdf", directory=upload_dir)

    assert stream.delivered <= DEFAULT_MAX_BYTES + 256 * 1024
    assert list(upload_dir.iterdir()) == []


def test_a_file_exactly_at_the_limit_is_accepted(upload_dir: Path) -> None:
    stored = store_upload(
        io.BytesIO(PDF), original_name="a.pdf", directory=upload_dir, max_bytes=len(PDF)
    )

    assert stored.size == len(PDF)


def test_an_executable_is_refused_after_its_first_chunk_without_reading_the_rest(
    upload_dir: Path,
) -> None:
    stream = io.BytesIO(WINDOWS_PROGRAM + bytes(5 * 1024 * 1024))

    with pytest.raises(UploadRefused):
        store_upload(stream, original_name="setup.pdf", directory=upload_dir)

    assert stream.tell() <= 64 * 1024


def test_the_checksum_is_verified_when_a_stored_file_is_read_back(upload_dir: Path) -> None:
    stored = store_upload(io.BytesIO(JPEG), original_name="knee.jpg", directory=upload_dir)

    data = read_upload(directory=upload_dir, stored_name=stored.stored_name, sha256=stored.sha256)
    verify_upload(directory=upload_dir, stored_name=stored.stored_name, sha256=stored.sha256)

    assert data == JPEG


def test_a_stored_file_changed_on_disk_fails_its_checksum(upload_dir: Path) -> None:
    stored = store_upload(io.BytesIO(PDF), original_name="a.pdf", directory=upload_dir)
    (upload_dir / stored.stored_name).write_bytes(PDF + b"tampered")

    with pytest.raises(UploadCorrupted):
        read_upload(directory=upload_dir, stored_name=stored.stored_name, sha256=stored.sha256)
    with pytest.raises(UploadCorrupted):
        verify_upload(directory=upload_dir, stored_name=stored.stored_name, sha256=stored.sha256)


@pytest.mark.parametrize("name", ["../../etc/passwd", "a.pdf", "/tmp/x.pdf", "..", ""])
def test_reading_back_accepts_only_names_the_store_generated(upload_dir: Path, name: str) -> None:
    upload_dir.mkdir(parents=True)

    with pytest.raises(NotFound):
        read_upload(directory=upload_dir, stored_name=name, sha256="0" * 64)


def test_random_stored_names_are_unique(upload_dir: Path) -> None:
    names = {
        store_upload(io.BytesIO(PNG), original_name="same.png", directory=upload_dir).stored_name
        for _ in range(50)
    }

    assert len(names) == 50
    assert sorted(p.name for p in upload_dir.iterdir()) == sorted(names)


def test_the_original_name_never_becomes_part_of_the_stored_path(upload_dir: Path) -> None:
    stored = store_upload(io.BytesIO(PDF), original_name="../../outside.pdf", directory=upload_dir)

    assert "outside" not in stored.stored_name
    assert stored.original_name == "outside.pdf"
    assert not (upload_dir.parent.parent / "outside.pdf").exists()


def test_uploads_are_never_stored_inside_a_served_folder(tmp_path: Path) -> None:
    served = tmp_path / "static"

    with pytest.raises(ValueError, match="served folder"):
        store_upload(
            io.BytesIO(PDF),
            original_name="a.pdf",
            directory=served / "uploads",
            served_directories=[served],
        )
    stored = store_upload(
        io.BytesIO(PDF),
        original_name="a.pdf",
        directory=tmp_path / "private",
        served_directories=[served],
    )
    assert (tmp_path / "private" / stored.stored_name).is_file()
    assert not served.exists()


def test_the_package_static_folder_is_always_refused_as_an_upload_directory() -> None:
    static = Path(__file__).resolve().parents[2] / "src" / "plexcare" / "web" / "static"

    with pytest.raises(ValueError, match="served folder"):
        store_upload(io.BytesIO(PDF), original_name="a.pdf", directory=static / "uploads")
    assert not (static / "uploads").exists()


def test_stored_files_are_private_to_the_owner_and_so_are_new_folders(tmp_path: Path) -> None:
    directory = tmp_path / "var" / "uploads"

    stored = store_upload(io.BytesIO(PDF), original_name="a.pdf", directory=directory)

    assert stat.S_IMODE((directory / stored.stored_name).stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(directory.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\MRI report.pdf", "MRI report.pdf"),
        ("<script>alert(1)</script>.pdf", "script_.pdf"),
        ("scan\x00\x1b[31m.pdf", "scan_31m.pdf"),
        ("   ", "upload"),
        (None, "upload"),
        ("résumé café.pdf", "résumé café.pdf"),
    ],
)
def test_original_names_are_sanitised_for_display(raw: str | None, shown: str) -> None:
    assert sanitize_file_name(raw) == shown


@given(st.text(max_size=400))
def test_a_sanitised_name_is_never_a_path_and_never_empty(raw: str) -> None:
    shown = sanitize_file_name(raw)

    assert shown
    assert "/" not in shown and "\\" not in shown
    assert shown not in {".", ".."}
    assert len(shown) <= 120
    assert all(ch.isprintable() for ch in shown)


def test_a_long_name_keeps_its_extension() -> None:
    shown = sanitize_file_name("a" * 300 + ".pdf")

    assert len(shown) == 120
    assert shown.endswith(".pdf")


@pytest.mark.parametrize(
    ("size", "text"),
    [(20 * 1024 * 1024, "20 MB"), (1024, "1 KB"), (1536 * 1024, "1.5 MB"), (500, "500 bytes")],
)
def test_limits_are_described_in_plain_units(size: int, text: str) -> None:
    assert describe_size(size) == text
