"""Who holds a bearer token, remembered for a few seconds by one app process.

Every API request starts by asking the database whose token it carries: one round trip and a
statement to run, on a booking that needs ten more. A client sends the same token many times a
second, so the answer is kept for `lifetime` seconds (`PLEXCARE_TOKEN_CACHE_SECONDS`).

What that costs in safety, and why it is bounded:
- a bearer token revoked, or its account deactivated or given another role, keeps working in
  a process that has just seen it for at most `lifetime` seconds, after which the database is
  asked again and refuses it (page sessions, signed out through a cookie, are never
  remembered: their sign-out takes effect at once);
- a token's own expiry is never stretched: the remembered holder carries the token's
  `expires_at`, checked against each request's clock.
`lifetime` 0 turns the memory off. The clock is monotonic (not the request's clock, which
tests move about), and injectable so a test can pass the lifetime without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["TokenHolder", "TokenHolders"]

MOST_REMEMBERED = 10_000
"""Beyond this many live tokens the memory is emptied and refilled: a bound on memory that
never serves a stale answer."""


@dataclass(frozen=True)
class TokenHolder:
    """The account a live token belongs to, and until when the token is valid."""

    user_id: int
    role: str
    expires_at: datetime


class TokenHolders:
    """Token hash → holder, each remembered for `lifetime` seconds of `clock`."""

    def __init__(self, lifetime: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._remembered: dict[str, tuple[TokenHolder, float]] = {}
        self._lock = threading.Lock()

    def recall(self, token_hash: str, now: datetime) -> TokenHolder | None:
        """The holder remembered for this token, if the memory is fresh and the token live."""
        if self._lifetime <= 0:
            return None
        entry = self._remembered.get(token_hash)
        if entry is None:
            return None
        holder, remembered_at = entry
        if self._clock() - remembered_at >= self._lifetime or now >= holder.expires_at:
            self.forget(token_hash)
            return None
        return holder

    def remember(self, token_hash: str, holder: TokenHolder) -> None:
        if self._lifetime <= 0:
            return
        with self._lock:
            if len(self._remembered) >= MOST_REMEMBERED:
                self._remembered.clear()
            self._remembered[token_hash] = (holder, self._clock())

    def forget(self, token_hash: str) -> None:
        with self._lock:
            self._remembered.pop(token_hash, None)
