"""Small, real files of each accepted type, built from their specifications, and the disguised
files a second-opinion upload must refuse."""

from __future__ import annotations

import io
import struct
import zlib

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid


def pdf_bytes(*, between: bytes = b"", after_eof: bytes = b"") -> bytes:
    """A one-page PDF with a correct cross-reference table; `between` goes before the first
    object (outside any stream), `after_eof` after the end marker."""
    content = b"BT /F1 12 Tf 72 712 Td (MRI lumbar spine: no compression) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + between)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out) + after_eof


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(
    *,
    width: int = 1,
    height: int = 1,
    interlace: int = 0,
    filters: bytes | None = None,
    text: bytes | None = None,
    after_iend: bytes = b"",
    pixel_rows: bytes | None = None,
) -> bytes:
    """A real grey 8-bit PNG; `filters` sets each scanline's filter byte (default 0)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, interlace)
    if pixel_rows is None:
        chosen = filters if filters is not None else bytes(height)
        pixel_rows = b"".join(bytes([chosen[row]]) + b"\x80" * width for row in range(height))
    chunks = png_chunk(b"IHDR", header)
    if text is not None:
        chunks += png_chunk(b"tEXt", b"Comment\x00" + text)
    chunks += png_chunk(b"IDAT", zlib.compress(pixel_rows)) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks + after_iend


def jpeg_bytes(*, comment: bytes | None = None, after_eoi: bytes = b"") -> bytes:
    """A real 8×8 grey baseline JPEG: one block, DC difference 0, then end-of-block."""

    def segment(marker: int, body: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body

    one_code = bytes([1]) + bytes(15) + b"\x00"  # one Huffman code of length 1, for symbol 0
    out = b"\xff\xd8"
    out += segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    if comment is not None:
        out += segment(0xFE, comment)
    out += segment(0xDB, b"\x00" + bytes([1] * 64))
    out += segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
    out += segment(0xC4, b"\x00" + one_code) + segment(0xC4, b"\x10" + one_code)
    out += segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return out + b"\x3f" + b"\xff\xd9" + after_eoi


def dicom_dataset() -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["plexcare test sample"])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.SOPClassUID = meta.MediaStorageSOPClassUID
    dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    dataset.PatientName = "Okafor^Ann"
    dataset.Modality = "OT"
    dataset.Rows, dataset.Columns = 4, 4
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit = 8, 8, 7
    dataset.PixelRepresentation = 0
    dataset.PixelData = bytes(range(16))
    return dataset


def dicom_bytes(dataset: Dataset | None = None, *, preamble: bytes | None = None) -> bytes:
    """A real DICOM Part 10 file, written by pydicom."""
    buffer = io.BytesIO()
    chosen = dataset if dataset is not None else dicom_dataset()
    if preamble is not None:
        chosen.preamble = preamble
    pydicom.dcmwrite(buffer, chosen, enforce_file_format=True)
    return buffer.getvalue()


PDF = pdf_bytes()
PNG = png_bytes()
JPEG = jpeg_bytes()
DICOM = dicom_bytes()

WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(50) + b"PE\x00\x00" + bytes(300)
LINUX_PROGRAM = b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x00" * 200
EXE_WITH_DICM = b"MZ\x90\x00" + bytes(124) + b"DICM" + b"PE\x00\x00" + bytes(400)
"""The probe's file: a Windows program with the DICOM marker at byte 128."""
PDF_HEADER_HTML_BODY = (
    b"%PDF-1.4\n<html><body><script>fetch('/api/v1/me')</script></body></html>\n%%EOF\n"
)
PNG_HEADER_SCRIPT = b"\x89PNG\r\n\x1a\n<script>alert(document.cookie)</script>"
