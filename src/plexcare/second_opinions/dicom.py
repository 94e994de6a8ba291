"""Is this upload a DICOM Part 10 file, and only that? Parsed with pydicom, then checked.

pydicom reads leniently (a truncated file parses; so does a program with ``DICM`` at byte 128),
so its result is checked:

- the 128-byte preamble does not start like a program, archive, PDF or web page and holds no
  markup: a preamble can carry a Windows program's header and make the file run as one
  (CVE-2019-11687). Other bytes are allowed (TIFF headers in dual files; stray bytes some
  scanners write);
- the Type 1 file meta elements are present and the transfer syntax is a known one;
- every top-level element is a public DICOM element, a private one or a group length, and none
  is from the command, meta or directory groups: appended non-DICOM data reads as nonsense tags;
- every value is complete (a cut-off value is as long as its header says; an undefined-length
  value ends with its delimiter), and the last element ends exactly at the end of the file;
- nested sequences decode; the SOP class and instance are named; an image has pixel data.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from plexcare.second_opinions.content import MARKUP, Malformed, active_start

if TYPE_CHECKING:
    from pydicom.dataelem import DataElement, RawDataElement
    from pydicom.dataset import Dataset
    from pydicom.tag import BaseTag

    _DicomItem = Dataset | DataElement | RawDataElement | None


def preamble_fits(head: bytes) -> bool:
    """A preamble (the first 128 bytes) that no program loader or browser would act on."""
    preamble = head[:128]
    return not any(preamble) or (active_start(preamble) is None and not MARKUP.search(preamble))


_REQUIRED_META = (
    "FileMetaInformationVersion",
    "MediaStorageSOPClassUID",
    "MediaStorageSOPInstanceUID",
    "TransferSyntaxUID",
    "ImplementationClassUID",
)
_PIXEL_DATA = (0x7FE00010, 0x7FE00008, 0x7FE00009)
_UNDEFINED = 0xFFFFFFFF


def check_dicom(path: Path) -> None:
    """pydicom is imported here, not with the module: it is the largest import of the app's
    start (some 0.4 s on a first start, before its bytecode is cached) and only uploads need it.
    """
    import pydicom
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    size = path.stat().st_size
    with path.open("rb") as handle:
        if not preamble_fits(handle.read(128)):
            raise Malformed("its 128-byte preamble holds a program or web-page header")
        handle.seek(0)
        try:
            dataset = pydicom.dcmread(handle)
        except Exception:  # any failure to parse untrusted bytes means: not readable DICOM
            raise Malformed("cannot be read as DICOM") from None
        meta = dataset.file_meta
        missing = [keyword for keyword in _REQUIRED_META if not meta.get(keyword)]
        if missing:
            raise Malformed(f"lacks required file meta information ({', '.join(missing)})")
        syntax = meta.TransferSyntaxUID
        if not syntax.is_transfer_syntax:
            raise Malformed(f"uses an unknown transfer syntax ({syntax})")
        tags = sorted(dataset.keys())
        if not tags:
            raise Malformed("holds no data")
        little_endian = dataset.original_encoding[1] is not False
        for tag in tags:
            _check_dicom_element(dataset.get_item(tag), tag, handle, little_endian)
        if syntax != DeflatedExplicitVRLittleEndian:
            _check_dicom_end(dataset.get_item(tags[-1]), handle, size, little_endian)
    try:
        for _element in dataset.iterall():
            pass
        named = bool(dataset.get("SOPClassUID")) and bool(dataset.get("SOPInstanceUID"))
    except Exception:  # nested sequences decode only now; broken ones fail here
        raise Malformed("has a damaged sequence") from None
    if not named:
        raise Malformed("does not name its SOP class and instance")
    if "Rows" in dataset and "Columns" in dataset and not any(t in dataset for t in _PIXEL_DATA):
        raise Malformed("has no pixel data for the image it describes")


def _delimiter(little_endian: bool) -> bytes:
    return (b"\xfe\xff\xdd\xe0" if little_endian else b"\xff\xfe\xe0\xdd") + bytes(4)


def _check_dicom_element(
    element: _DicomItem, tag: BaseTag, handle: BinaryIO, little_endian: bool
) -> None:
    from pydicom.datadict import dictionary_has_tag, repeater_has_tag
    from pydicom.dataelem import RawDataElement

    if tag.group == 0x0004:
        raise Malformed("is a DICOMDIR index, not an image or report: send the files it lists")
    if tag.group < 0x0008 or not (
        tag.is_private or tag.element == 0 or dictionary_has_tag(tag) or repeater_has_tag(tag)
    ):
        raise Malformed(f"contains data that is not DICOM (element {tag})")
    if not isinstance(element, RawDataElement) or element.value is None:
        return
    if element.length != _UNDEFINED and len(element.value) != element.length:
        raise Malformed("is incomplete (a value is cut short)")
    if element.length == _UNDEFINED:
        handle.seek(element.value_tell + len(element.value))
        if handle.read(8) != _delimiter(little_endian):
            raise Malformed("is incomplete (a value has no end delimiter)")


def _check_dicom_end(element: _DicomItem, handle: BinaryIO, size: int, little_endian: bool) -> None:
    """The last element must end exactly where the file ends: no tail, nothing cut off."""
    from pydicom.dataelem import DataElement, RawDataElement

    if isinstance(element, RawDataElement):
        length = element.length
        used = len(element.value or b"") + 8 if length == _UNDEFINED else length
        end = element.value_tell + used
    elif isinstance(element, DataElement) and element.is_undefined_length:
        handle.seek(max(size - 8, 0))  # a sequence read whole: the file ends with its delimiter
        end = size if handle.read(8) == _delimiter(little_endian) else -1
    elif isinstance(element, DataElement) and element.file_tell is not None and element.is_empty:
        end = element.file_tell
    else:
        return
    if end != size:
        raise Malformed("is incomplete or has data after its last element")
