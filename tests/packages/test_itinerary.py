"""A package's appointments are all placed, in order and spacing, earliest first, or none are."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.packages.catalogue import (
    DEFAULT_CATALOGUE,
    PLEXOPATHY_DIAGNOSTIC,
    REHABILITATION_STARTER,
    HealthPackage,
)
from plexcare.packages.itinerary import CandidateSlot, PackageItem, plan_package_itinerary
from plexcare.scheduling.availability import Slot

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 3, 2, tzinfo=LONDON)


def slot(day: int, hour: int, minutes: int, minute: int = 0, ref: str = "") -> CandidateSlot:
    start = datetime.combine((MONDAY + timedelta(days=day)).date(), time(hour, minute), LONDON)
    return CandidateSlot(start=start, end=start + timedelta(minutes=minutes), reference=ref)


def test_the_diagnostic_package_is_placed_consultation_then_emg_then_mri_review() -> None:
    candidates = {
        "new_consultation": [slot(0, 9, 45, ref="c-mon-9"), slot(1, 9, 45, ref="c-tue-9")],
        "emg_ncs": [slot(0, 9, 60, ref="e-mon-9"), slot(0, 10, 60, ref="e-mon-10")],
        "mri_review": [slot(0, 11, 30, ref="m-mon-11"), slot(2, 14, 30, ref="m-wed-14")],
    }

    chosen = plan_package_itinerary(
        PLEXOPATHY_DIAGNOSTIC.items, candidates, time_zone="Europe/London"
    )

    assert chosen is not None
    assert [s.reference for s in chosen] == ["c-mon-9", "e-mon-10", "m-mon-11"]


def test_the_gap_after_the_previous_appointment_is_respected() -> None:
    # Consultation ends 09:45; the EMG needs 15 minutes more, so 09:50 is too early.
    candidates = {
        "new_consultation": [slot(0, 9, 45, ref="c")],
        "emg_ncs": [slot(0, 9, 60, minute=50, ref="too-soon"), slot(0, 10, 60, ref="ok")],
        "mri_review": [slot(1, 9, 30, ref="m")],
    }

    chosen = plan_package_itinerary(PLEXOPATHY_DIAGNOSTIC.items, candidates)

    assert chosen is not None
    assert chosen[1].reference == "ok"


def test_an_emg_too_many_days_after_the_consultation_makes_the_package_unplaceable() -> None:
    candidates = {
        "new_consultation": [slot(0, 9, 45)],
        "emg_ncs": [slot(4, 9, 60)],  # Friday: four days after Monday, limit is three
        "mri_review": [slot(5, 9, 30)],
    }

    assert plan_package_itinerary(PLEXOPATHY_DIAGNOSTIC.items, candidates) is None


def test_a_later_first_appointment_is_chosen_when_the_earliest_leads_to_a_dead_end() -> None:
    candidates = {
        "new_consultation": [slot(0, 9, 45, ref="mon"), slot(7, 9, 45, ref="next-mon")],
        "emg_ncs": [slot(8, 9, 60, ref="next-tue")],
        "mri_review": [slot(9, 9, 30, ref="next-wed")],
    }

    chosen = plan_package_itinerary(PLEXOPATHY_DIAGNOSTIC.items, candidates)

    assert chosen is not None
    assert [s.reference for s in chosen] == ["next-mon", "next-tue", "next-wed"]


def test_a_missing_appointment_type_means_none_are_placed() -> None:
    candidates = {"new_consultation": [slot(0, 9, 45)], "emg_ncs": [slot(0, 11, 60)]}

    assert plan_package_itinerary(PLEXOPATHY_DIAGNOSTIC.items, candidates) is None


def test_slots_before_not_before_or_too_short_are_never_used() -> None:
    candidates = {
        "new_consultation": [
            slot(0, 9, 45, ref="past"),
            slot(1, 9, 30, ref="short"),
            slot(1, 10, 45, ref="ok"),
        ],
        "emg_ncs": [slot(1, 11, 60)],
        "mri_review": [slot(1, 14, 30)],
    }

    chosen = plan_package_itinerary(
        PLEXOPATHY_DIAGNOSTIC.items, candidates, not_before=MONDAY + timedelta(days=1)
    )

    assert chosen is not None
    assert chosen[0].reference == "ok"


def test_two_items_of_the_same_type_get_two_different_slots_in_order() -> None:
    follow_ups = [slot(d, 10, 20, ref=f"day{d}") for d in range(0, 40)]
    candidates = {
        "physiotherapy_assessment": [slot(0, 9, 60, ref="assess")],
        "follow_up": follow_ups,
    }

    chosen = plan_package_itinerary(REHABILITATION_STARTER.items, candidates)

    assert chosen is not None
    # day2 10:00–10:20 plus seven days is day9 10:20, after day9's 10:00 slot: day10 it is.
    assert [s.reference for s in chosen] == ["assess", "day2", "day10"]


def test_scheduling_slots_are_returned_as_the_callers_own_objects() -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)

    def real(kind: str, hours: int, minutes: int) -> Slot:
        begin = start + timedelta(hours=hours)
        return Slot(
            clinician_id="dr-okafor",
            appointment_type=kind,
            start=begin,
            end=begin + timedelta(minutes=minutes),
            occupied_until=begin + timedelta(minutes=minutes + 15),
            resource_ids=(),
            time_zone="Europe/London",
        )

    candidates = {
        "new_consultation": [real("new_consultation", 0, 45)],
        "emg_ncs": [real("emg_ncs", 1, 60)],
        "mri_review": [real("mri_review", 3, 30)],
    }

    chosen = plan_package_itinerary(PLEXOPATHY_DIAGNOSTIC.items, candidates)

    assert chosen is not None
    assert all(isinstance(s, Slot) for s in chosen)
    assert chosen[1] is candidates["emg_ncs"][0]


def test_an_empty_package_needs_no_slots_and_naive_times_are_refused() -> None:
    assert plan_package_itinerary([], {}) == ()
    naive = CandidateSlot(start=datetime(2026, 3, 2, 9), end=datetime(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="time-zone-aware"):
        plan_package_itinerary(PLEXOPATHY_DIAGNOSTIC.items, {"new_consultation": [naive]})


def test_the_catalogue_lists_the_three_packages_with_their_appointment_time() -> None:
    assert [p.code for p in DEFAULT_CATALOGUE] == [
        "plexopathy_diagnostic",
        "second_opinion",
        "rehabilitation_starter",
    ]
    assert PLEXOPATHY_DIAGNOSTIC.appointment_time == timedelta(minutes=135)
    with pytest.raises(ValueError, match="no appointments"):
        HealthPackage(code="empty", name="Empty", description="", items=(), price_minor_units=0)


def test_bad_package_items_are_refused() -> None:
    with pytest.raises(ValueError, match="duration"):
        PackageItem("x", "X", timedelta(0))
    with pytest.raises(ValueError, match="negative"):
        PackageItem("x", "X", timedelta(minutes=5), min_gap_after_previous=timedelta(minutes=-1))


# Property tests: random packages over a fortnight of random slots.

TYPES = ("a", "b", "c")

package_items = st.lists(
    st.builds(
        PackageItem,
        appointment_type=st.sampled_from(TYPES),
        name=st.just("item"),
        duration=st.sampled_from([timedelta(minutes=m) for m in (20, 30, 45, 60)]),
        min_gap_after_previous=st.sampled_from(
            [timedelta(0), timedelta(minutes=15), timedelta(hours=20)]
        ),
        max_days_after_previous=st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
    ),
    min_size=1,
    max_size=4,
)
slot_lists = st.lists(
    st.builds(
        slot,
        day=st.integers(min_value=0, max_value=13),
        hour=st.integers(min_value=8, max_value=17),
        minutes=st.sampled_from([20, 30, 45, 60]),
        minute=st.sampled_from([0, 15, 30, 45]),
    ),
    max_size=6,
)
candidate_maps = st.fixed_dictionaries({kind: slot_lists for kind in TYPES})


def _fits(items: Sequence[PackageItem], chosen: Sequence[CandidateSlot]) -> bool:
    for index in range(1, len(items)):
        item, previous, current = items[index], chosen[index - 1], chosen[index]
        if current.start < previous.end + item.min_gap_after_previous:
            return False
        if item.max_days_after_previous is not None:
            days = (
                current.start.astimezone(LONDON).date() - previous.start.astimezone(LONDON).date()
            ).days
            if days > item.max_days_after_previous:
                return False
    return all(s.end - s.start >= i.duration for i, s in zip(items, chosen, strict=True))


def _brute_force(
    items: Sequence[PackageItem], candidates: Mapping[str, Sequence[CandidateSlot]]
) -> tuple[CandidateSlot, ...] | None:
    ordered = [
        sorted(candidates[i.appointment_type], key=lambda s: (s.start, s.end)) for i in items
    ]
    for combination in itertools.product(*ordered):
        if _fits(items, combination):
            return combination
    return None


@settings(max_examples=300)
@given(package_items, candidate_maps)
def test_an_itinerary_never_overlaps_and_keeps_the_package_order(
    items: list[PackageItem], candidates: dict[str, list[CandidateSlot]]
) -> None:
    chosen = plan_package_itinerary(items, candidates)

    if chosen is not None:
        assert len(chosen) == len(items)
        for item, picked in zip(items, chosen, strict=True):
            assert picked in candidates[item.appointment_type]
        for earlier, later in itertools.combinations(chosen, 2):
            assert earlier.end <= later.start
        assert _fits(items, chosen)


@settings(max_examples=300)
@given(package_items, candidate_maps)
def test_the_planner_finds_the_earliest_itinerary_exactly_when_one_exists(
    items: list[PackageItem], candidates: dict[str, list[CandidateSlot]]
) -> None:
    assert plan_package_itinerary(items, candidates) == _brute_force(items, candidates)


def _scheduling_slot(kind: str, start: datetime, minutes: int, buffer: int) -> Slot:
    return Slot(
        clinician_id="dr-okafor",
        appointment_type=kind,
        start=start,
        end=start + timedelta(minutes=minutes),
        occupied_until=start + timedelta(minutes=minutes + buffer),
        resource_ids=(),
        time_zone="Europe/London",
    )


def test_the_next_appointment_waits_for_the_previous_rooms_buffer() -> None:
    nine = datetime(2026, 3, 2, 9, tzinfo=UTC)
    consultation = _scheduling_slot("new_consultation", nine, 45, buffer=30)
    emg_too_soon = _scheduling_slot("emg_ncs", nine + timedelta(minutes=60), 60, buffer=15)
    emg_after_buffer = _scheduling_slot("emg_ncs", nine + timedelta(minutes=75), 60, buffer=15)
    review = _scheduling_slot("mri_review", nine + timedelta(hours=4), 30, buffer=0)

    chosen = plan_package_itinerary(
        PLEXOPATHY_DIAGNOSTIC.items,
        {
            "new_consultation": [consultation],
            "emg_ncs": [emg_too_soon, emg_after_buffer],
            "mri_review": [review],
        },
    )

    assert chosen == (consultation, emg_after_buffer, review)
