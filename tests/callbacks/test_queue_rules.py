"""Callbacks are due within clinic time by urgency; emergencies are never queued as callbacks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.callbacks.queue_rules import (
    EMERGENCY_ADVICE,
    CallbackInputError,
    ClinicHours,
    EmergencyCareNeeded,
    ResponseTargets,
    callback_urgency_for_triage,
    check_urgency,
    is_overdue,
    response_due,
    validate_preferred_window,
)

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


# 2026-03-06 is a Friday; 2026-03-09 a Monday.
FRIDAY_4PM = london(2026, 3, 6, 16)


def test_an_urgent_callback_is_due_two_clinic_hours_after_the_request() -> None:
    due = response_due(requested_at=london(2026, 3, 4, 10), urgency="urgent")

    assert due == london(2026, 3, 4, 12)


def test_an_urgent_request_late_in_the_day_carries_over_to_the_next_opening() -> None:
    due = response_due(requested_at=london(2026, 3, 4, 17, 30), urgency="urgent")

    assert due == london(2026, 3, 5, 9, 30)


def test_a_routine_request_on_friday_afternoon_is_due_on_monday_afternoon() -> None:
    due = response_due(requested_at=FRIDAY_4PM, urgency="routine")

    assert due == london(2026, 3, 9, 16)


def test_a_request_at_the_weekend_starts_counting_when_the_clinic_opens() -> None:
    due = response_due(requested_at=london(2026, 3, 7, 11), urgency="routine")

    assert due == london(2026, 3, 9, 18)


def test_a_holiday_is_skipped_like_a_weekend() -> None:
    targets = ResponseTargets(hours=ClinicHours(holidays=frozenset({date(2026, 3, 9)})))

    due = response_due(requested_at=FRIDAY_4PM, urgency="routine", targets=targets)

    assert due == london(2026, 3, 10, 16)


def test_clinic_hours_follow_the_clinics_zone_across_the_clock_change() -> None:
    # Clocks go forward in London on Sunday 29 March 2026: 08:00 is 08:00 UTC before, 07:00 after.
    due = response_due(requested_at=london(2026, 3, 27, 17), urgency="urgent")

    assert due == london(2026, 3, 30, 9)
    assert due.astimezone(UTC).hour == 8


def test_a_request_is_overdue_only_after_its_target_has_passed() -> None:
    requested = london(2026, 3, 4, 10)

    assert not is_overdue(requested, "urgent", london(2026, 3, 4, 12))
    assert is_overdue(requested, "urgent", london(2026, 3, 4, 12, 1))
    assert not is_overdue(requested, "routine", london(2026, 3, 4, 18))
    assert is_overdue(requested, "routine", london(2026, 3, 5, 10, 1))


def test_overdue_is_judged_in_clinic_time_not_elapsed_time() -> None:
    assert not is_overdue(FRIDAY_4PM, "routine", london(2026, 3, 8, 23))


def test_an_emergency_cannot_be_queued_and_comes_with_emergency_advice() -> None:
    with pytest.raises(EmergencyCareNeeded) as refused:
        callback_urgency_for_triage("emergency")

    assert refused.value.advice == EMERGENCY_ADVICE
    assert "emergency department" in refused.value.detail
    assert refused.value.field == "urgency"
    with pytest.raises(EmergencyCareNeeded):
        response_due(requested_at=FRIDAY_4PM, urgency="emergency")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("triage", "callback"),
    [("same_day", "urgent"), ("urgent", "urgent"), ("soon", "routine"), ("routine", "routine")],
)
def test_each_self_check_urgency_maps_to_a_callback_urgency(triage: str, callback: str) -> None:
    assert callback_urgency_for_triage(triage) == callback


def test_an_unknown_urgency_names_the_field() -> None:
    with pytest.raises(CallbackInputError) as invalid:
        check_urgency("asap")

    assert invalid.value.field == "urgency"


def test_a_naive_request_time_is_refused() -> None:
    with pytest.raises(CallbackInputError) as invalid:
        response_due(requested_at=datetime(2026, 3, 4, 10), urgency="urgent")

    assert invalid.value.field == "requested_at"


@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    st.sampled_from(["urgent", "routine"]),
)
def test_a_callback_always_falls_due_inside_clinic_hours_and_after_the_request(
    requested: datetime, urgency: str
) -> None:
    hours = ClinicHours()
    due = response_due(requested_at=requested, urgency=urgency)  # type: ignore[arg-type]
    local = due.astimezone(LONDON)

    assert due > requested
    assert hours.is_working_day(local.date())
    assert time(8) < local.time() <= time(18)


NOW = london(2026, 3, 4, 9)  # a Wednesday


def test_a_window_inside_clinic_hours_is_accepted_and_kept_in_utc() -> None:
    window = validate_preferred_window(london(2026, 3, 5, 10), london(2026, 3, 5, 11), now=NOW)

    assert window.start == london(2026, 3, 5, 10)
    assert window.start.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        (london(2026, 3, 5, 11), london(2026, 3, 5, 10), "preferred_end", "after the start"),
        (london(2026, 3, 3, 10), london(2026, 3, 3, 11), "preferred_start", "in the future"),
        (london(2026, 3, 7, 10), london(2026, 3, 7, 11), "preferred_start", "closed on Saturday"),
        (london(2026, 3, 5, 7), london(2026, 3, 5, 9), "preferred_start", "clinic hours"),
        (london(2026, 3, 5, 17), london(2026, 3, 5, 19), "preferred_end", "clinic hours"),
        (london(2026, 3, 5, 10), london(2026, 3, 5, 10, 10), "preferred_end", "30 minutes"),
        (london(2026, 6, 5, 10), london(2026, 6, 5, 11), "preferred_start", "30 days"),
        (london(2026, 3, 5, 17), london(2026, 3, 6, 9), "preferred_end", "clinic hours"),
    ],
)
def test_a_bad_preferred_window_names_the_field_and_the_problem(
    start: datetime, end: datetime, field: str, words: str
) -> None:
    with pytest.raises(CallbackInputError) as invalid:
        validate_preferred_window(start, end, now=NOW)

    assert invalid.value.field == field
    assert words in invalid.value.detail


def test_a_window_without_a_time_zone_is_refused() -> None:
    with pytest.raises(CallbackInputError) as invalid:
        validate_preferred_window(datetime(2026, 3, 5, 10), london(2026, 3, 5, 11), now=NOW)

    assert invalid.value.field == "preferred_start"


def test_clinic_hours_that_close_before_they_open_are_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="close after"):
        ClinicHours(opens=time(18), closes=time(8))
    with pytest.raises(ValueError, match="time zone"):
        ClinicHours(time_zone="Mars/Olympus")
