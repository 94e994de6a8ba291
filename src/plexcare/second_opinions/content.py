"""What the content checks share: the reason a file is malformed, and the markup rule.

A check reads a whole upload (a memory map, so a 20 MB file is not copied into memory) and
raises `Malformed` with a phrase that completes "it starts like a PDF but ..."; `formats`
turns that into the patient's message.
"""

from __future__ import annotations

import mmap
import re

Content = bytes | mmap.mmap


class Malformed(Exception):
    """Why content that starts like an accepted type is not one ("has no %%EOF end marker")."""


MARKUP = re.compile(
    rb"<(?=[!befhilmos])"
    rb"(?:!doctype|html|head|body|script|iframe|frame|svg|object|embed|meta|img|form|style"
    rb"|link|base)[\s/>]",
    re.IGNORECASE,
)
"""Tags a browser would act on if it ever rendered the file as a page. None is spelt only with
hex digits, so PDF hex strings (``<48656c6c6f>``) never match. The look-ahead on the first
letter keeps a file full of ``<<`` (PDF dictionaries) fast to scan."""


ACTIVE_STARTS: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program (ELF)"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xce\xfa\xed\xfe", "a macOS program"),
    (b"\xfe\xed\xfa\xcf", "a macOS program"),
    (b"\xfe\xed\xfa\xce", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a Java or macOS program"),
    (b"#!", "a script"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"%PDF-", "a PDF document"),
    (b"<", "a web page or XML"),
)
"""Starts of files an operating system, an office suite or a browser acts on by their first
bytes, with what they are."""


def active_start(head: bytes) -> str | None:
    """What `head` starts like, if it starts like something that can run or render."""
    stripped = head.lstrip(b" \t\r\n\x0c")
    return next((what for start, what in ACTIVE_STARTS if stripped.startswith(start)), None)


def no_markup(data: Content, start: int, end: int, where: str) -> None:
    """Raise `Malformed` if `data[start:end]` holds web-page markup; `where` says where."""
    found = MARKUP.search(data, start, end)
    if found:
        tag = found.group().decode("ascii", "replace").rstrip(" \t\r\n\f\v/>")
        raise Malformed(f"contains web-page markup ({tag}) {where}")
