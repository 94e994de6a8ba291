"""The sign-in throttle's rule: a lock-out after `limit` failures within the window, doubling
with each further lock-out, forgiven after a quiet day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plexcare.accounts.login_throttle import ThrottleRule, ThrottleState, after_failure

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
RULE = ThrottleRule(limit=3, window=WINDOW)


def fail(state: ThrottleState, *, at: datetime, times: int = 1) -> ThrottleState:
    for _ in range(times):
        state = after_failure(state, now=at, rule=RULE)
    return state


def test_the_failure_that_reaches_the_limit_locks_the_key_for_the_window() -> None:
    two = fail(ThrottleState(), at=T0, times=2)
    assert two.wait_seconds(T0) == 0

    three = fail(two, at=T0 + timedelta(minutes=1))

    assert three.wait_seconds(T0 + timedelta(minutes=1)) == 15 * 60
    assert three.wait_seconds(T0 + timedelta(minutes=16)) == 0


def test_failures_spread_wider_than_the_window_never_lock() -> None:
    state = ThrottleState()
    for step in range(10):
        state = fail(state, at=T0 + step * WINDOW, times=2)
        assert state.locked_until is None


def test_each_further_lock_out_lasts_twice_as_long_up_to_a_day() -> None:
    now, waits = T0, []
    state = ThrottleState()
    for _ in range(9):
        state = fail(state, at=now, times=3)
        waits.append(state.wait_seconds(now))
        now = state.locked_until or now
    minutes = [wait // 60 for wait in waits]
    assert minutes == [15, 30, 60, 120, 240, 480, 960, 1440, 1440]


def test_a_quiet_day_forgets_the_back_off() -> None:
    state = fail(fail(ThrottleState(), at=T0, times=3), at=T0 + WINDOW, times=3)
    assert state.lockouts == 2

    assert state.locked_until is not None
    almost_a_day = state.locked_until + timedelta(hours=23)
    assert fail(state, at=almost_a_day, times=3).wait_seconds(almost_a_day) == 60 * 60

    after_a_day = state.locked_until + timedelta(days=1)
    assert fail(state, at=after_a_day, times=3).wait_seconds(after_a_day) == 15 * 60


def test_wait_is_rounded_up_to_whole_seconds() -> None:
    state = ThrottleState(locked_until=T0 + timedelta(milliseconds=1200))
    assert state.wait_seconds(T0) == 2


def test_naive_times_and_empty_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="time-zone-aware"):
        after_failure(ThrottleState(), now=datetime(2026, 1, 1), rule=RULE)
    with pytest.raises(ValueError, match="limit"):
        ThrottleRule(limit=0, window=WINDOW)
    with pytest.raises(ValueError, match="window"):
        ThrottleRule(limit=1, window=timedelta(0))
