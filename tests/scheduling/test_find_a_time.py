"""What the find-a-time page carries from one step to the next."""

from __future__ import annotations

from plexcare.scheduling.pages.find_a_time import kept_search


def test_a_kept_search_carries_only_the_searchs_own_fields() -> None:
    assert kept_search("specialty=neurology&next=//evil.example&day=2026-03-11") == (
        "specialty=neurology&day=2026-03-11"
    )
