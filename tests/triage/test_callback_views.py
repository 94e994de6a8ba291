"""Properties of what the callback form offers and promises, for any moment of two years:
every offered time is in the future, on a day the phones are staffed and inside their hours;
the next opening is never a weekend or a public holiday; a promise made while the phones are
closed says so."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from plexcare.callbacks.queue_rules import ClinicHours, ResponseTargets, response_due
from plexcare.triage.callback_views import (
    ASAP,
    chosen_window,
    is_open,
    next_opening,
    promise,
    time_choices,
)

HOURS = ClinicHours(
    time_zone="Europe/London",
    opens=time(8),
    closes=time(18),
    holidays=frozenset({date(2026, 5, 4), date(2026, 12, 25), date(2026, 12, 28)}),
)
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(now=MOMENTS)
def test_every_offered_time_is_ahead_and_inside_staffed_hours(now: datetime) -> None:
    choices = time_choices(HOURS, now)
    assert choices[0].value == ASAP
    for choice in choices[1:]:
        window = chosen_window(choice.value, HOURS, now)
        assert window is not None and not isinstance(window, str)
        local = window.start.astimezone(HOURS.zone)
        assert window.start > now and window.end > window.start
        assert HOURS.is_working_day(local.date())
        assert (
            HOURS.opens <= local.time() and window.end.astimezone(HOURS.zone).time() <= HOURS.closes
        )


@settings(max_examples=200, deadline=None, derandomize=True)
@given(now=MOMENTS)
def test_the_next_opening_is_a_staffed_moment_not_before_now(now: datetime) -> None:
    opening = next_opening(HOURS, now)
    assert opening >= now
    assert is_open(HOURS, opening)
    if not is_open(HOURS, now):
        assert opening > now


@settings(max_examples=200, deadline=None, derandomize=True)
@given(now=MOMENTS, urgent=st.booleans())
def test_a_promise_made_while_closed_says_so_and_names_a_staffed_day(
    now: datetime, urgent: bool
) -> None:
    urgency = "urgent" if urgent else "routine"
    due = response_due(requested_at=now, urgency=urgency, targets=ResponseTargets(hours=HOURS))
    said = " ".join(
        promise(
            due=due,
            window=None,
            urgent=urgent,
            hours=HOURS,
            now=now,
            out_of_hours_number="111",
            emergency_number="999",
        )
    )
    assert HOURS.is_working_day(due.astimezone(HOURS.zone).date())
    assert ("phones are closed now" in said) == (not is_open(HOURS, now))
    assert ("call 111 now" in said) == (urgent and not is_open(HOURS, now))
    assert "999" in said


def test_a_choice_that_has_passed_is_refused() -> None:
    monday_noon = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert isinstance(chosen_window("2026-03-02/am", HOURS, monday_noon), str)
    assert chosen_window(ASAP, HOURS, monday_noon) is None
    later = chosen_window("2026-03-02/pm", HOURS, monday_noon)
    assert later is not None and not isinstance(later, str)
    assert later.start - monday_noon == timedelta(hours=1)
