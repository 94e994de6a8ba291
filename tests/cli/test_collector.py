"""The collector is held within `collection_paused` and left as it was found after, also when
the work inside fails, and also when it was already off (a batch inside a paused command)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from plexcare.cli.collector import collection_paused


@pytest.fixture
def collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        else:
            gc.disable()


@pytest.mark.usefixtures("collector_restored")
def test_the_collector_is_off_within_and_back_on_after_even_when_the_work_fails() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collection_paused():
        assert not gc.isenabled()
        raise RuntimeError("a bad case")
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_a_collector_already_off_stays_off_after() -> None:
    gc.disable()
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
