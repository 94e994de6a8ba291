"""Anonymous callback requests are limited per client and per phone number, by the clock given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexcare.callbacks.rate_limit import CallbackRateLimiter, RateLimit, client_key, decide

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_requests_under_the_limit_are_allowed_and_say_how_many_remain() -> None:
    rule = RateLimit(limit=3, window=HOUR)

    assert decide([], now=T0, rule=rule).remaining == 2
    assert decide([T0], now=T0 + timedelta(minutes=1), rule=rule).remaining == 1


def test_a_full_window_is_denied_with_the_wait_until_the_oldest_attempt_expires() -> None:
    rule = RateLimit(limit=2, window=HOUR)
    attempts = [T0, T0 + timedelta(minutes=10)]

    decision = decide(attempts, now=T0 + timedelta(minutes=20), rule=rule)

    assert not decision.allowed
    assert decision.retry_after_seconds == 40 * 60


def test_a_request_is_allowed_again_exactly_when_the_retry_after_has_passed() -> None:
    rule = RateLimit(limit=1, window=HOUR)

    assert not decide([T0], now=T0 + HOUR - timedelta(seconds=1), rule=rule).allowed
    assert decide([T0], now=T0 + HOUR, rule=rule).allowed


def test_retry_after_is_rounded_up_to_at_least_one_second() -> None:
    rule = RateLimit(limit=1, window=HOUR)

    decision = decide([T0], now=T0 + HOUR - timedelta(milliseconds=200), rule=rule)

    assert decision.retry_after_seconds == 1


def test_attempts_stamped_after_now_still_count_if_the_clock_stepped_back() -> None:
    rule = RateLimit(limit=1, window=HOUR)

    assert not decide([T0 + timedelta(minutes=5)], now=T0, rule=rule).allowed


def test_one_client_is_stopped_after_its_limit_whatever_numbers_it_tries() -> None:
    limiter = CallbackRateLimiter(per_client=RateLimit(2, HOUR), per_phone=RateLimit(5, HOUR))

    answers = [
        limiter.check(client="203.0.113.7", phone=f"+4420794600{i:02d}", now=T0) for i in range(3)
    ]

    assert [a.allowed for a in answers] == [True, True, False]
    assert answers[2].limited_by == "client"


def test_one_number_is_protected_from_many_clients() -> None:
    limiter = CallbackRateLimiter(per_client=RateLimit(5, HOUR), per_phone=RateLimit(2, HOUR))

    answers = [
        limiter.check(client=f"198.51.100.{i}", phone="+442079460018", now=T0) for i in range(3)
    ]

    assert [a.allowed for a in answers] == [True, True, False]
    assert answers[2].limited_by == "phone"
    assert answers[2].retry_after_seconds == 3600


def test_denied_requests_do_not_extend_the_lockout() -> None:
    limiter = CallbackRateLimiter(per_client=RateLimit(1, HOUR), per_phone=RateLimit(9, HOUR))
    limiter.check(client="a", phone="+442079460018", now=T0)
    for minute in range(1, 60):
        limiter.check(client="a", phone="+442079460018", now=T0 + timedelta(minutes=minute))

    assert limiter.check(client="a", phone="+442079460018", now=T0 + HOUR).allowed


def test_an_ipv6_client_is_limited_by_its_64_network() -> None:
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_key(" 203.0.113.7 ") == "203.0.113.7"
    assert client_key("testclient") == "testclient"


def test_forgetting_expired_attempts_keeps_only_current_ones() -> None:
    limiter = CallbackRateLimiter(per_client=RateLimit(1, HOUR), per_phone=RateLimit(1, HOUR))
    limiter.check(client="a", phone="+1", now=T0)
    limiter.check(client="b", phone="+2", now=T0 + timedelta(minutes=50))

    limiter.forget_expired(now=T0 + HOUR)

    assert limiter.check(client="a", phone="+1", now=T0 + HOUR).allowed
    assert not limiter.check(client="b", phone="+2", now=T0 + HOUR).allowed


def test_naive_times_and_empty_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="time-zone-aware"):
        decide([], now=datetime(2026, 1, 1), rule=RateLimit(1, HOUR))
    with pytest.raises(ValueError, match="limit"):
        RateLimit(limit=0, window=HOUR)
    with pytest.raises(ValueError, match="window"):
        RateLimit(limit=1, window=timedelta(0))


requests = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=900),  # seconds since the previous request
        st.sampled_from(["198.51.100.1", "198.51.100.2", "2001:db8::1"]),
        st.sampled_from(["+442079460018", "+447911123456"]),
    ),
    max_size=80,
)


@given(requests, st.integers(min_value=1, max_value=4), st.integers(min_value=60, max_value=3600))
def test_never_more_than_the_limit_is_allowed_in_any_window(
    stream: list[tuple[int, str, str]], limit: int, window_seconds: int
) -> None:
    window = timedelta(seconds=window_seconds)
    limiter = CallbackRateLimiter(
        per_client=RateLimit(limit, window), per_phone=RateLimit(limit + 1, window)
    )
    now = T0
    allowed: list[tuple[datetime, str, str]] = []
    for gap, client, phone in stream:
        now += timedelta(seconds=gap)
        decision = limiter.check(client=client, phone=phone, now=now)
        if decision.allowed:
            allowed.append((now, client_key(client), phone))
        else:
            assert decision.retry_after_seconds >= 1

    for start, _, _ in allowed:
        inside = [a for a in allowed if start <= a[0] < start + window]
        for key in {a[1] for a in inside}:
            assert sum(1 for a in inside if a[1] == key) <= limit
        for number in {a[2] for a in inside}:
            assert sum(1 for a in inside if a[2] == number) <= limit + 1


@given(
    st.lists(st.integers(min_value=0, max_value=7200), max_size=30),
    st.integers(min_value=1, max_value=5),
)
def test_a_denied_request_is_allowed_once_its_retry_after_has_passed(
    offsets: list[int], limit: int
) -> None:
    rule = RateLimit(limit, HOUR)
    attempts = [T0 + timedelta(seconds=s) for s in offsets]
    now = T0 + timedelta(seconds=max(offsets, default=0))

    decision = decide(attempts, now=now, rule=rule)

    if not decision.allowed:
        later = now + timedelta(seconds=decision.retry_after_seconds)
        assert decide(attempts, now=later, rule=rule).allowed
