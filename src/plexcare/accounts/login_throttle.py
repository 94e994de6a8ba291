"""When failed sign-ins lock an account or a client address out, and for how long.

Password guessing is stopped on two keys: one account (whoever tries it, from wherever) and one
client address (whatever accounts it tries). Each key allows `limit` failures within `window`;
the failure that reaches the limit locks the key for `window`, and each further lock-out of
the same key doubles the lock (back-off), up to `longest_lock`. A day without failures after
the last lock-out forgets the back-off, and a successful sign-in clears an account's record.

Attempts refused during a lock-out are not failures: they neither lengthen the lock nor check
the password, so someone who floods a victim's account keeps it locked only as long as the
rule says, and learns nothing about the password meanwhile.

Pure functions of the stored state and `now`; the accounts service keeps the state in the
database (one row per key, locked while it is read and written) so every app process shares
it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

__all__ = ["Scope", "ThrottleRule", "ThrottleState", "after_failure"]

Scope = Literal["account", "address"]

FORGIVE_AFTER = timedelta(days=1)
"""A key with no failure (and no lock-out) for this long starts its back-off again from the
first step."""


@dataclass(frozen=True)
class ThrottleRule:
    """At most `limit` failures within `window`; lock-outs last `window`, doubling each time."""

    limit: int
    window: timedelta
    longest_lock: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("limit must be at least 1")
        if self.window <= timedelta(0):
            raise ValueError("window must be positive")

    def lock_for(self, earlier_lockouts: int) -> timedelta:
        doublings = min(earlier_lockouts, 30)
        return min(self.window * (1 << doublings), max(self.longest_lock, self.window))


@dataclass(frozen=True)
class ThrottleState:
    """What one key's row holds: the current run of failures and the lock-out, if any."""

    failures: int = 0
    streak_started_at: datetime | None = None
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None
    lockouts: int = 0

    def wait_seconds(self, now: datetime) -> int:
        """Whole seconds until the lock-out ends (rounded up); 0 when the key is not locked."""
        if self.locked_until is None or self.locked_until <= now:
            return 0
        return max(1, math.ceil((self.locked_until - now).total_seconds()))


def after_failure(state: ThrottleState, *, now: datetime, rule: ThrottleRule) -> ThrottleState:
    """The state after one more failed sign-in at `now` (the key was not locked)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("sign-in throttling needs time-zone-aware datetimes")
    lockouts = state.lockouts
    quiet_since = max(
        (moment for moment in (state.last_failure_at, state.locked_until) if moment is not None),
        default=None,
    )
    if quiet_since is not None and now - quiet_since >= FORGIVE_AFTER:
        lockouts = 0
    started = state.streak_started_at
    if started is None or now - started >= rule.window:
        failures, started = 1, now
    else:
        failures = state.failures + 1
    if failures >= rule.limit:
        return ThrottleState(
            last_failure_at=now,
            locked_until=now + rule.lock_for(lockouts),
            lockouts=lockouts + 1,
        )
    return ThrottleState(
        failures=failures,
        streak_started_at=started,
        last_failure_at=now,
        locked_until=state.locked_until,
        lockouts=lockouts,
    )
