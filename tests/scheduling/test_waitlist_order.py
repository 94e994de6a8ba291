"""Waitlist order: only fitting requests, then urgency, then waiting time, deterministically."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.scheduling.waitlist_order import (
    FreedSlot,
    Urgency,
    WaitlistEntry,
    WaitlistInputError,
    fits,
    rank_waitlist,
)

JOINED = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
# 23:30 UTC on 30 June is 00:30 on 1 July in London: the window test depends on the local date.
SLOT = FreedSlot(
    clinician_id="dr-okafor",
    specialty="neurology",
    appointment_type="emg-ncs",
    start=datetime(2025, 6, 30, 23, 30, tzinfo=UTC),
    time_zone="Europe/London",
)


def entry(entry_id: str, **changes: object) -> WaitlistEntry:
    values: dict[str, object] = {
        "entry_id": entry_id,
        "patient_id": f"patient-{entry_id}",
        "specialty": "neurology",
        "urgency": Urgency.ROUTINE,
        "joined_at": JOINED,
    }
    values.update(changes)
    return WaitlistEntry(**values)  # type: ignore[arg-type]


def ids(entries: tuple[WaitlistEntry, ...]) -> list[str]:
    return [e.entry_id for e in entries]


def test_urgency_comes_before_waiting_time() -> None:
    ranked = rank_waitlist(
        entries=[
            entry("routine-long-wait", joined_at=JOINED - timedelta(days=60)),
            entry("urgent-new", urgency=Urgency.URGENT, joined_at=JOINED),
            entry("emergency", urgency=Urgency.EMERGENCY, joined_at=JOINED + timedelta(days=1)),
            entry("soon", urgency=Urgency.SOON),
        ],
        slot=SLOT,
    )
    assert ids(ranked) == ["emergency", "urgent-new", "soon", "routine-long-wait"]


def test_among_equally_urgent_the_longest_waiting_goes_first_and_ties_break_by_id() -> None:
    ranked = rank_waitlist(
        entries=[
            entry("b", joined_at=JOINED),
            entry("c", joined_at=JOINED - timedelta(hours=1)),
            entry("a", joined_at=JOINED),
        ],
        slot=SLOT,
    )
    assert ids(ranked) == ["c", "a", "b"]


def test_only_requests_the_slot_fits_are_offered_it() -> None:
    ranked = rank_waitlist(
        entries=[
            entry("other-specialty", specialty="neurosurgery"),
            entry("other-clinician", clinician_id="dr-nakamura"),
            entry("other-type", appointment_type="consultation"),
            entry("same-clinician", clinician_id="dr-okafor", appointment_type="emg-ncs"),
            entry("any-neurologist"),
        ],
        slot=SLOT,
    )
    assert ids(ranked) == ["any-neurologist", "same-clinician"]


def test_the_date_window_is_judged_on_the_clinics_local_date() -> None:
    july_only = entry("july", earliest_day=date(2025, 7, 1), latest_day=date(2025, 7, 31))
    june_only = entry("june", earliest_day=date(2025, 6, 1), latest_day=date(2025, 6, 30))
    assert fits(entry=july_only, slot=SLOT)
    assert not fits(entry=june_only, slot=SLOT)


def test_a_window_can_be_open_on_one_side() -> None:
    assert fits(entry=entry("from-july", earliest_day=date(2025, 7, 1)), slot=SLOT)
    assert not fits(entry=entry("until-june", latest_day=date(2025, 6, 30)), slot=SLOT)


entries_strategy = st.lists(
    st.builds(
        WaitlistEntry,
        entry_id=st.text(alphabet="abcdef", min_size=1, max_size=4),
        patient_id=st.just("p"),
        specialty=st.sampled_from(["neurology", "pain_medicine"]),
        urgency=st.sampled_from(list(Urgency)),
        joined_at=st.datetimes(
            min_value=datetime(2025, 1, 1), max_value=datetime(2025, 6, 1), timezones=st.just(UTC)
        ),
        clinician_id=st.sampled_from([None, "dr-okafor", "dr-nakamura"]),
    ),
    max_size=12,
    unique_by=lambda e: e.entry_id,
)


@given(entries=entries_strategy, shuffle_seed=st.randoms(use_true_random=False))
def test_the_order_is_sorted_fitting_and_independent_of_input_order(
    entries: list[WaitlistEntry], shuffle_seed: object
) -> None:
    ranked = rank_waitlist(entries=entries, slot=SLOT)
    shuffled = list(entries)
    shuffle_seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert rank_waitlist(entries=shuffled, slot=SLOT) == ranked
    assert set(ranked) == {e for e in entries if fits(entry=e, slot=SLOT)}
    keys = [(e.urgency.rank, e.joined_at, e.entry_id) for e in ranked]
    assert keys == sorted(keys)


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(WaitlistInputError) as raised:
        entry("x", earliest_day=date(2025, 7, 2), latest_day=date(2025, 7, 1))
    assert raised.value.field == "latest_day"


def test_a_naive_join_time_is_refused() -> None:
    with pytest.raises(WaitlistInputError) as raised:
        entry("x", joined_at=datetime(2025, 5, 1))
    assert raised.value.field == "joined_at"
