"""How often an anonymous visitor may ask for a callback: per client and per phone number.

Asking for a callback needs no account, so the form is an open door for floods: one client
filling the front desk's queue, or many clients making the clinic ring one victim's phone.
Two sliding windows close it: at most ``limit`` accepted requests from one client (by IP; an
IPv6 client by its /64, which one household or host usually holds whole) and at most
``limit`` accepted requests for one phone number, in any ``window`` of time.

The rule is a pure function of the earlier accepted attempts and ``now`` (`decide`), so a
service can feed it attempts counted in the database when several processes serve the site
(the service serializes the count and the insert per key; see `callbacks.service`).
`CallbackRateLimiter` keeps the attempts in memory for a single process. Only accepted requests
count, so a refused flood does not lock out a genuine caller for longer than the window.

Usage::

    limiter = CallbackRateLimiter()
    decision = limiter.check(client="203.0.113.7", phone="+442079460018", now=now)
    if not decision.allowed:
        raise TooManyRequests(retry_after=decision.retry_after_seconds)
"""

from __future__ import annotations

import ipaddress
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

__all__ = [
    "CallbackRateLimiter",
    "RateDecision",
    "RateLimit",
    "client_key",
    "decide",
]

LimitedBy = Literal["client", "phone"]


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` accepted requests in any stretch of time `window` long."""

    limit: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("limit must be at least 1")
        if self.window <= timedelta(0):
            raise ValueError("window must be positive")

    def __str__(self) -> str:
        """The rule in words, as a refusal names it: "at most 3 a day"."""
        spans = {timedelta(hours=1): "an hour", timedelta(days=1): "a day"}
        span = spans.get(self.window) or f"in {_duration(self.window)}"
        return f"at most {self.limit} {span}"


def _duration(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


@dataclass(frozen=True)
class RateDecision:
    """Whether one more request may go ahead, and if not, when to try again (whole seconds)."""

    allowed: bool
    remaining: int
    retry_after_seconds: int = 0
    limited_by: LimitedBy | None = None


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("rate limiting needs time-zone-aware datetimes")


def decide(attempts: Iterable[datetime], *, now: datetime, rule: RateLimit) -> RateDecision:
    """May one more request go ahead at `now`, given the earlier accepted `attempts`?

    An attempt counts while ``now - window < attempt``; one stamped later than `now` (the
    clock stepped back) still counts, so a clock change never lets extra requests through.
    When the window is full, ``retry_after_seconds`` is when the attempt that frees a place
    drops out, rounded up to whole seconds.
    """
    _require_aware(now)
    since = now - rule.window
    counted = sorted(a for a in attempts if since < a)
    if len(counted) < rule.limit:
        return RateDecision(allowed=True, remaining=rule.limit - len(counted) - 1)
    frees_at = counted[-rule.limit] + rule.window
    wait = max(1, math.ceil((frees_at - now).total_seconds()))
    return RateDecision(allowed=False, remaining=0, retry_after_seconds=wait)


def client_key(address: str) -> str:
    """The key a client is limited by: its IPv4 address, or its IPv6 /64 network.

    Anything that is not an IP address (a test client, a proxy's placeholder) is its own key.
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass
class CallbackRateLimiter:
    """In-process memory of accepted callback requests by client and by phone number.

    Deterministic: time only moves when `now` is passed in. Not shared between processes.
    """

    per_client: RateLimit = RateLimit(limit=5, window=timedelta(hours=1))
    per_phone: RateLimit = RateLimit(limit=3, window=timedelta(hours=24))
    _by_client: dict[str, deque[datetime]] = field(default_factory=dict, repr=False)
    _by_phone: dict[str, deque[datetime]] = field(default_factory=dict, repr=False)

    def check(self, *, client: str, phone: str, now: datetime) -> RateDecision:
        """Decide on one request and, if it is allowed, count it against both keys.

        `phone` should already be E.164 so that spacing cannot dodge the limit.
        """
        _require_aware(now)
        client_id = client_key(client)
        by_client = self._trim(self._by_client, client_id, now, self.per_client.window)
        by_phone = self._trim(self._by_phone, phone, now, self.per_phone.window)
        client_decision = decide(by_client, now=now, rule=self.per_client)
        phone_decision = decide(by_phone, now=now, rule=self.per_phone)
        checks: tuple[tuple[RateDecision, LimitedBy], ...] = (
            (client_decision, "client"),
            (phone_decision, "phone"),
        )
        denied = [(d.retry_after_seconds, name) for d, name in checks if not d.allowed]
        if denied:
            wait, limited_by = max(denied)
            return RateDecision(
                allowed=False, remaining=0, retry_after_seconds=wait, limited_by=limited_by
            )
        self._by_client.setdefault(client_id, deque()).append(now)
        self._by_phone.setdefault(phone, deque()).append(now)
        return RateDecision(
            allowed=True, remaining=min(client_decision.remaining, phone_decision.remaining)
        )

    def forget_expired(self, *, now: datetime) -> None:
        """Drop every attempt that no longer counts, so memory follows current traffic only."""
        _require_aware(now)
        for keyed, window in (
            (self._by_client, self.per_client.window),
            (self._by_phone, self.per_phone.window),
        ):
            for key in list(keyed):
                self._trim(keyed, key, now, window)

    @staticmethod
    def _trim(
        keyed: dict[str, deque[datetime]], key: str, now: datetime, window: timedelta
    ) -> deque[datetime]:
        attempts = keyed.get(key)
        if attempts is None:
            return deque()
        while attempts and attempts[0] <= now - window:
            attempts.popleft()
        if not attempts:
            del keyed[key]
        return attempts
