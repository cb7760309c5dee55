"""Time as the services see it: injected, so tests and rules never read the wall clock."""

from __future__ import annotations

import time as _time
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


class Clock:
    def now_ms(self) -> int:
        return _time.time_ns() // 1_000_000


class FixedClock(Clock):
    """A clock that moves only when told to, for tests and replays."""

    def __init__(self, now_ms: int) -> None:
        self.ms = now_ms

    def now_ms(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


# Per time zone, the last day asked for: (its first ms, the next day's first ms, ISO date).
_DAYS: dict[ZoneInfo, tuple[int, int, str]] = {}


def local_day(now_ms: int, tz: ZoneInfo) -> str:
    """The office day (ISO date in the office's time zone) of an instant. Asked for every
    ticket; within the day last asked for, the answer is two comparisons rather than a
    time-zone conversion."""
    known = _DAYS.get(tz)
    if known is not None and known[0] <= now_ms < known[1]:
        return known[2]
    day = datetime.fromtimestamp(now_ms / 1000, tz).date()
    start = datetime.combine(day, time(0), tz).timestamp()
    end = datetime.combine(day + timedelta(days=1), time(0), tz).timestamp()
    _DAYS[tz] = (round(start * 1000), round(end * 1000), day.isoformat())
    return day.isoformat()
