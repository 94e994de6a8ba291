"""Is this upload a PNG or a JPEG image, and only that? Checked over the whole file, without an
image library (Pillow is not a dependency).

PNG: every chunk's length and CRC; IHDR first, once, with a valid size, depth and colour type;
consecutive IDAT chunks that inflate to exactly the size the header promises, with a valid
filter byte (0-4) on every scanline; IEND last with nothing after it; no web-page markup in
text chunks. Images over 64 megapixels are refused, and inflating goes in bounded steps, so a
small file cannot make us inflate gigabytes.

JPEG: a marker walk from SOI to EOI: every segment's length fits in the file, a frame header
comes before the first scan, entropy-coded data runs to the next marker; after EOI only further
complete JPEG images (a phone's multi-picture file) or zero padding; no markup in APPn or
comment segments. The entropy-coded data itself is not Huffman-decoded.
"""

from __future__ import annotations

import re
import zlib

from plexcare.second_opinions.content import Content, Malformed, no_markup

MAX_IMAGE_PIXELS = 64_000_000
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_INFLATE_STEP = 256 * 1024


class _PngPixels:
    """Inflates IDAT data in bounded steps, checking each scanline's filter byte (0–4) and
    that the data is exactly as long as the header says."""

    def __init__(self, header: bytes) -> None:
        width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
        depth, colour, compression, filtering, interlace = header[8:13]
        if not (0 < width < 2**31 and 0 < height < 2**31):
            raise Malformed("its header gives an impossible size")
        if width * height > MAX_IMAGE_PIXELS:
            raise Malformed(f"is larger than {MAX_IMAGE_PIXELS // 1_000_000} megapixels")
        if depth not in _PNG_DEPTHS.get(colour, set()) or compression or filtering or interlace > 1:
            raise Malformed("its header is invalid")
        bits = _PNG_CHANNELS[colour] * depth
        passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
        self.passes: list[tuple[int, int]] = []  # (bytes in the pass, bytes per scanline)
        for x0, y0, dx, dy in passes:
            columns, rows = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
            if columns and rows:
                stride = 1 + (columns * bits + 7) // 8
                self.passes.append((rows * stride, stride))
        self.palette_needed = colour == 3
        self.inflater = zlib.decompressobj()
        self.done = 0  # bytes of the current pass already checked
        self.pass_index = 0

    def feed(self, compressed: bytes) -> None:
        data = compressed
        while data:
            try:
                self._check(self.inflater.decompress(data, _INFLATE_STEP))
            except zlib.error:
                raise Malformed("its image data is corrupt") from None
            data = self.inflater.unconsumed_tail

    def finish(self) -> None:
        self._check(self.inflater.flush())
        if not self.inflater.eof or self.inflater.unused_data:
            raise Malformed("its image data is incomplete or has extra bytes")
        if self.pass_index < len(self.passes):
            raise Malformed("has less image data than its header promises")

    def _check(self, block: bytes) -> None:
        position = 0
        while position < len(block):
            if self.pass_index >= len(self.passes):
                raise Malformed("has more image data than its header promises")
            total, stride = self.passes[self.pass_index]
            take = min(len(block) - position, total - self.done)
            filters = block[position : position + take][(-self.done) % stride :: stride]
            if filters and max(filters) > 4:
                raise Malformed("has an invalid scanline filter")
            self.done += take
            position += take
            if self.done == total:
                self.pass_index, self.done = self.pass_index + 1, 0


_PNG_MAX_CHUNKS = 100_000


def check_png(data: Content) -> None:
    position, size = len(_PNG_SIGNATURE), len(data)
    pixels: _PngPixels | None = None
    seen: set[bytes] = set()
    previous = b""
    for _ in range(_PNG_MAX_CHUNKS):
        if position + 12 > size:
            raise Malformed("is incomplete (no IEND chunk)")
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        body_end = position + 8 + length
        if length >= 2**31 or not kind.isalpha() or body_end + 4 > size:
            raise Malformed("is damaged or incomplete")
        checksum = int.from_bytes(data[body_end : body_end + 4], "big")
        if zlib.crc32(memoryview(data)[position + 4 : body_end]) != checksum:
            raise Malformed(f"its {kind.decode()} chunk fails its checksum")
        if (kind == b"IHDR") != (pixels is None) or (kind == b"IHDR" and length != 13):
            raise Malformed("does not begin with exactly one valid image header")
        if kind == b"IHDR":
            pixels = _PngPixels(data[position + 8 : body_end])
        elif kind == b"IDAT":
            if b"IDAT" in seen and previous != b"IDAT":
                raise Malformed("has its image data split by other chunks")
            assert pixels is not None
            pixels.feed(data[position + 8 : body_end])
        elif kind == b"IEND":
            break
        elif kind[:1].isupper() and kind != b"PLTE":
            raise Malformed(f"has an unknown critical chunk {kind.decode()}")
        elif kind != b"PLTE":
            no_markup(data, position + 8, body_end, f"in its {kind.decode()} chunk")
        seen.add(kind)
        previous = kind
        position = body_end + 4
    else:
        raise Malformed(f"has more than {_PNG_MAX_CHUNKS} chunks")
    if pixels is None or b"IDAT" not in seen:
        raise Malformed("has no image data")
    if pixels.palette_needed and b"PLTE" not in seen:
        raise Malformed("has no palette")
    pixels.finish()
    if body_end + 4 != size:
        raise Malformed("has data after its IEND end marker")


_JPEG_FRAMES = {*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)}
_JPEG_FILL = re.compile(rb"\xff+")
_JPEG_NEXT_MARKER = re.compile(rb"\xff+[^\x00\xd0-\xd7\xff]")
_ZEROS = re.compile(rb"\x00*")
_JPEG_MAX_IMAGES = 16
_JPEG_MAX_SEGMENTS = 10_000


def _jpeg_image_end(data: Content, start: int) -> int:
    """Walk one image's markers from SOI; return the offset just after its EOI."""
    position, size = start + 2, len(data)
    frame = scan = False
    for _ in range(_JPEG_MAX_SEGMENTS):
        fill = _JPEG_FILL.match(data, position)
        if fill is None or fill.end() >= size:
            raise Malformed("is damaged or incomplete (no end-of-image marker)")
        marker, position = data[fill.end()], fill.end() + 1
        if marker == 0xD9:
            if not scan:
                raise Malformed("has no image data")
            return position
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        length = int.from_bytes(data[position : position + 2], "big")
        if marker in (0x00, 0xD8) or length < 2 or position + length > size:
            raise Malformed("is damaged or incomplete")
        body_start, body_end = position + 2, position + length
        if marker in _JPEG_FRAMES:
            components = data[body_start + 5] if length > 7 else 0
            width = int.from_bytes(data[body_start + 3 : body_start + 5], "big")
            if not 1 <= components <= 4 or length != 8 + 3 * components or width == 0:
                raise Malformed("has an invalid frame header")
            frame = True
        elif marker == 0xDA:
            components = data[body_start] if length > 2 else 0
            if not frame or not 1 <= components <= 4 or length != 6 + 2 * components:
                raise Malformed("has a scan without a valid frame header")
            following = _JPEG_NEXT_MARKER.search(data, body_end)
            if following is None:
                raise Malformed("is incomplete (no end-of-image marker)")
            scan, position = True, following.start()
            continue
        elif 0xE0 <= marker <= 0xEF or marker == 0xFE:
            no_markup(data, body_start, body_end, "in its metadata")
        position = body_end
    raise Malformed(f"has more than {_JPEG_MAX_SEGMENTS} segments")


def check_jpeg(data: Content) -> None:
    start = 0
    for _ in range(_JPEG_MAX_IMAGES):
        end = _jpeg_image_end(data, start)
        if end == len(data) or _ZEROS.fullmatch(data, end):
            return
        if data[end : end + 3] != b"\xff\xd8\xff":
            raise Malformed("has data after its end-of-image marker")
        start = end
    raise Malformed(f"holds more than {_JPEG_MAX_IMAGES} images")
