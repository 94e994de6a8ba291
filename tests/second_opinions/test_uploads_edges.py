"""How an upload limit is put to the patient, at the edges `make mutate` found unguarded: an
exact megabyte, and sizes below a kilobyte that is not whole."""

from __future__ import annotations

import pytest

from plexcare.second_opinions.uploads import MEGABYTE, describe_size


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (MEGABYTE, "1 MB"),
        (20 * MEGABYTE, "20 MB"),
        (MEGABYTE + MEGABYTE // 2, "1.5 MB"),
        (1024, "1 KB"),
        (512 * 1024, "512 KB"),
        (1500, "1500 bytes"),
        (1000, "1000 bytes"),
        (0, "0 bytes"),
    ],
)
def test_a_limit_reads_in_whole_megabytes_kilobytes_or_bytes(size: int, words: str) -> None:
    assert describe_size(size) == words
