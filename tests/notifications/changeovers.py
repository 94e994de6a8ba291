"""Where a zone's clocks change, found from zoneinfo itself, so tests can aim at the edges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DST_ZONES = (
    "Europe/London", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
    "America/Santiago", "Europe/Dublin", "Pacific/Chatham", "America/St_Johns",
    "Asia/Kolkata",
)  # fmt: skip
"""The zones of issue 16, a half-hour change (Lord Howe), negative DST in winter (Dublin), a
45-minute offset (Chatham), a southern-hemisphere zone with moving dates (Santiago), and one
without daylight saving (Kolkata)."""

_STEP = timedelta(hours=6)


@dataclass(frozen=True)
class Changeover:
    """The instant the offset changed, with the offsets before and after."""

    instant: datetime
    before: timedelta
    after: timedelta

    @property
    def falls_back(self) -> bool:
        return self.after < self.before


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


@lru_cache(maxsize=4096)
def changeovers(zone_name: str, year: int) -> tuple[Changeover, ...]:
    """Every change of UTC offset in the zone during the (UTC) year, to the second."""
    zone = ZoneInfo(zone_name)
    found = []
    cursor = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while cursor < end:
        probe = cursor + _STEP
        if _offset(zone, probe) != _offset(zone, cursor):
            low, high = int(cursor.timestamp()), int(probe.timestamp())
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(zone, _at(middle)) == _offset(zone, cursor):
                    low = middle
                else:
                    high = middle
            found.append(Changeover(_at(high), _offset(zone, cursor), _offset(zone, probe)))
        cursor = probe
    return tuple(found)
