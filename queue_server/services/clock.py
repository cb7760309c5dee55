"""Time as the services see it: injected, so tests and rules never read the wall clock."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo


class Clock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class FixedClock(Clock):
    """A clock that moves only when told to, for tests and replays."""

    def __init__(self, now_ms: int) -> None:
        self.ms = now_ms

    def now_ms(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


def local_day(now_ms: int, tz: ZoneInfo) -> str:
    """The office day (ISO date in the office's time zone) of an instant."""
    return datetime.fromtimestamp(now_ms / 1000, tz).date().isoformat()
