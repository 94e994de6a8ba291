"""The edges of the callback rate limit that `make mutate` found no test standing on: each
client has its own allowance, what a decision says is left, and the rule in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plexcare.callbacks.rate_limit import CallbackRateLimiter, RateLimit, decide

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_each_client_has_its_own_allowance() -> None:
    limiter = CallbackRateLimiter(per_client=RateLimit(1, HOUR), per_phone=RateLimit(9, HOUR))

    first = limiter.check(client="198.51.100.1", phone="+442079460018", now=T0)
    neighbour = limiter.check(client="198.51.100.2", phone="+442079460019", now=T0)
    again = limiter.check(client="198.51.100.1", phone="+442079460020", now=T0)

    assert (first.allowed, neighbour.allowed, again.allowed) == (True, True, False)
    assert again.limited_by == "client"


def test_addresses_in_one_ipv6_network_share_one_allowance() -> None:
    limiter = CallbackRateLimiter(per_client=RateLimit(1, HOUR), per_phone=RateLimit(9, HOUR))

    assert limiter.check(client="2001:db8:1:2::1", phone="+442079460018", now=T0).allowed
    same_home = limiter.check(client="2001:db8:1:2::9", phone="+442079460019", now=T0)

    assert not same_home.allowed
    assert same_home.limited_by == "client"


def test_an_allowed_request_says_how_many_the_tighter_rule_still_allows() -> None:
    limiter = CallbackRateLimiter(per_client=RateLimit(5, HOUR), per_phone=RateLimit(3, HOUR))

    remaining = [
        limiter.check(client="198.51.100.1", phone="+442079460018", now=T0).remaining
        for _ in range(3)
    ]
    refused = limiter.check(client="198.51.100.1", phone="+442079460018", now=T0)

    assert remaining == [2, 1, 0]
    assert (refused.allowed, refused.remaining, refused.limited_by) == (False, 0, "phone")


def test_a_full_window_leaves_nothing_remaining() -> None:
    decision = decide([T0, T0], now=T0 + timedelta(minutes=1), rule=RateLimit(2, HOUR))
    assert (decision.allowed, decision.remaining) == (False, 0)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (RateLimit(3, timedelta(days=1)), "at most 3 a day"),
        (RateLimit(5, timedelta(hours=1)), "at most 5 an hour"),
        (RateLimit(2, timedelta(days=2)), "at most 2 in 2 days"),
        (RateLimit(4, timedelta(hours=2)), "at most 4 in 2 hours"),
        (RateLimit(1, timedelta(minutes=90)), "at most 1 in 90 minutes"),
        (RateLimit(6, timedelta(minutes=1)), "at most 6 in 1 minute"),
        (RateLimit(2, timedelta(seconds=45)), "at most 2 in 45 seconds"),
    ],
)
def test_a_refusal_names_the_rule_in_plain_words(rule: RateLimit, words: str) -> None:
    assert str(rule) == words
