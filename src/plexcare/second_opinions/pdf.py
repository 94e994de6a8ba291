"""Is this upload a PDF, and only a PDF? Checked over the whole file.

What is checked, and why:

- ``%PDF-1.x`` or ``%PDF-2.x`` at byte 0 (readers accept junk before it; we do not, so nothing
  else can sit in front);
- the last ``%%EOF`` is followed only by whitespace, so no other file rides after the end;
- ``startxref`` gives an offset that lands on a cross-reference table (``xref``) or stream
  (``n g obj``): the skeleton every PDF reader starts from, which a page with a PDF header
  pasted on top does not have;
- no web-page markup (``<html``, ``<script`` and other tags a browser acts on) outside content
  streams, where a browser that sniffed the file would find it.

Not checked: the content of streams (compressed page data, fonts, images) and PDF JavaScript,
which usually sits in compressed object streams, so a text search would only be partial.
"""

from __future__ import annotations

import re

from plexcare.second_opinions.content import Content, Malformed, no_markup

_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_PDF_TRAILING = re.compile(rb"[\x00\t\n\f\r ]*")
_PDF_STARTXREF = re.compile(rb"startxref[\t\n\f\r ]+(\d{1,12})[\x00\t\n\f\r ]*")
_PDF_XREF_TARGET = re.compile(
    rb"[\x00\t\n\f\r ]*(?:xref|\d{1,10}[\t\n\f\r ]+\d{1,5}[\t\n\f\r ]+obj)"
)
_PDF_STREAM_START = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")


def check_pdf(data: Content) -> None:
    if not _PDF_HEADER.match(data):
        raise Malformed("its header is not %PDF-1.x or %PDF-2.x")
    eof = data.rfind(b"%%EOF")
    if eof < 0:
        raise Malformed("is incomplete (no %%EOF end marker)")
    if not _PDF_TRAILING.fullmatch(data, eof + 5):
        raise Malformed("has data after its %%EOF end marker")
    pointer = data.rfind(b"startxref", 0, eof)
    found = _PDF_STARTXREF.fullmatch(data, pointer, eof) if pointer >= 0 else None
    if found is None:
        raise Malformed("has no startxref pointer to its cross-reference table")
    offset = int(found.group(1))
    if offset >= pointer or not _PDF_XREF_TARGET.match(data, offset):
        raise Malformed("its startxref does not point to a cross-reference table")
    position = 0
    while stream := _PDF_STREAM_START.search(data, position):
        no_markup(data, position, stream.start(), "outside its content streams")
        end = data.find(b"endstream", stream.end())
        if end < 0:
            raise Malformed("has a content stream that never ends")
        position = end + len(b"endstream")
    no_markup(data, position, len(data), "outside its content streams")
