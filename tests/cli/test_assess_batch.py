"""How `assess --batch` reads and shares a batch out: each file read whole, a JSON Lines file
cut into runs of lines that the workers split themselves, numbered as the whole file is."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from plexcare.cli.assess_batch import (
    SMALL_FILE,
    CaseEntry,
    CaseLines,
    CaseSource,
    _body,
    _concatenated,
    _shares,
    entries_of,
    file_bytes,
    printed,
    rendered,
)
from plexcare.engine.case_batch import CaseInputError

LINE = st.sampled_from([b"", b"  ", b'{"age": 50}', b'{"sex": "male"}', b"x" * 300])
ENDING = st.sampled_from([b"\n", b"\r\n", b"\r"])


def _file(lines: list[tuple[bytes, bytes]], last: bytes) -> CaseLines:
    data = b"".join(line + ending for line, ending in lines) + last
    return CaseLines("clinic.jsonl", "/cases/clinic.jsonl", data, 0, len(data))


def test_a_run_lists_every_line_with_text_by_its_number_and_skips_blank_ones() -> None:
    run = _file(
        [(b"", b"\n"), (b" \t ", b"\r\n"), (b'{"age": 50}', b"\n"), (b"\x0c", b"\n")], b" 1"
    )
    assert [(entry.name, entry.line, entry.text) for entry in run.entries()] == [
        ("clinic.jsonl:3", 3, b'{"age": 50}'),
        ("clinic.jsonl:5", 5, b" 1"),
    ]
    assert all(entry.file == "/cases/clinic.jsonl" for entry in run.entries())


@given(
    lines=st.lists(st.tuples(LINE, ENDING), max_size=60),
    last=LINE,
    cases=st.integers(min_value=1, max_value=80),
)
@example(  # a lone \r before the cut: the lines after it are numbered one further on
    lines=[(b'{"age": 50}', b"\r"), (b'{"sex": "male"}', b"\n"), (b'{"age": 50}', b"\n")],
    last=b'{"sex": "male"}',
    cases=2,
)
def test_a_cut_run_holds_the_lines_of_the_whole_numbered_as_the_file_is(
    lines: list[tuple[bytes, bytes]], last: bytes, cases: int
) -> None:
    whole = _file(lines, last)
    parts = whole.cut(cases)
    if parts is None:
        return
    first, rest = parts
    assert first.end == rest.start
    assert first.data[first.end - 1 : first.end] == b"\n"
    assert first.entries() + rest.entries() == whole.entries()


@given(
    files=st.lists(
        st.one_of(
            st.lists(st.tuples(LINE, ENDING), max_size=40).map(lambda lines: _file(lines, b"")),
            st.integers(min_value=0, max_value=99).map(
                lambda number: CaseEntry(f"case{number}.json", f"/cases/case{number}.json")
            ),
        ),
        max_size=8,
    ),
    workers=st.integers(min_value=1, max_value=6),
)
def test_shares_hold_every_case_once_in_order(files: list[CaseSource], workers: int) -> None:
    shares = _shares(files, workers)
    assert len(shares) <= workers
    assert all(shares)
    assert [entry for share in shares for entry in entries_of(share)] == entries_of(files)


def _row(number: int) -> dict[str, object]:
    return {
        "file": f"clinic.jsonl:{number}",
        "case_id": None if number % 2 else f"case-{number}",
        "localization": [{"key": "l5_root_left", "title": "L5 root", "probability": 0.5}],
        "plexopathy_probability": 0.25,
        "etiology": [{"disorder": "l5", "name": "L5 radiculopathy", "probability": 0.75}],
    }


@given(sizes=st.lists(st.integers(min_value=0, max_value=4), max_size=5), as_json=st.booleans())
def test_joined_shares_render_as_all_their_rows_at_once(sizes: list[int], as_json: bool) -> None:
    shares, start = [], 1
    for size in sizes:
        shares.append([_row(number) for number in range(start, start + size)])
        start += size
    every_row = [row for rows in shares for row in rows]
    expected = rendered(every_row, as_json)
    bodies = [_body([rendered(rows, as_json)], as_json) for rows in shares]
    assert b"".join(printed(_concatenated(bodies, as_json), as_json)) == expected
    written = [b"".join(body) for body in bodies]  # as a worker's file holds its share's body
    read_back = [[piece] if piece else [] for piece in written]
    assert b"".join(printed(_concatenated(read_back, as_json), as_json)) == expected


@pytest.mark.parametrize(
    "size",
    [0, 1, 900, SMALL_FILE - 1, SMALL_FILE, SMALL_FILE + 1, 3 * SMALL_FILE + 17],
)
def test_a_file_is_read_whole_whatever_its_size_against_the_first_read(
    tmp_path: Path, size: int
) -> None:
    written = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    path = tmp_path / "case.json"
    path.write_bytes(written)

    assert file_bytes(str(path)) == written


def test_a_file_that_cannot_be_read_is_named_with_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(CaseInputError) as missing:
        file_bytes(str(tmp_path / "gone.json"))
    assert (missing.value.where, missing.value.problem) == (
        str(tmp_path / "gone.json"),
        "no such file",
    )
    with pytest.raises(CaseInputError) as folder:
        file_bytes(str(tmp_path))
    assert folder.value.problem == "is a folder, not a case file"
