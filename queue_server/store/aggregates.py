"""Day aggregates of the reports: their stored shape, how they merge, and Redis access.

A closed office day is folded once from its events into one JSON document (`keys.day_aggregate`)
of *groups*: "all", "field:HT", "counter:3", "staff:lan", "class:elderly" (a priority code,
or "normal"). Each group holds counts, sums and histograms rather than averages, so any
range of days merges by addition and its averages and 90th percentiles come out exact (to
the minute for percentiles): wait and service times sit in 1-minute buckets up to 4 hours.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import redis.asyncio as aredis

from queue_server.store import keys

VERSION = 1
# A month roll-up keeps this many of its citizens' free-text comments (the newest).
MONTH_COMMENTS = 100
# Bucket m holds durations in (m-1, m] minutes; the last one also everything longer.
MAX_MINUTES = 240
LEVELS = 5
COUNTS = (
    "issued", "called", "served", "no_show", "cancelled", "within_target", "wait_ms",
    "service_n", "service_ms", "appt_booked", "appt_kept", "appt_no_show", "appt_cancelled",
    "results", "results_late",
)  # fmt: skip
SCAN_PAGE = 5000

Metrics = dict[str, Any]
Aggregate = dict[str, Any]


def new_metrics() -> Metrics:
    m: Metrics = dict.fromkeys(COUNTS, 0)
    m["wait_hist"] = {}
    m["service_hist"] = {}
    m["rated"] = [0] * LEVELS
    return m


def new_aggregate(day: str) -> Aggregate:
    return {"v": VERSION, "day": day, "events": 0, "groups": {}, "hours": [0] * 24,
            "reasons": {}, "comments": []}  # fmt: skip


def bucket(ms: int) -> str:
    """The histogram bucket of a duration (JSON object keys are strings)."""
    return str(min(MAX_MINUTES, max(0, math.ceil(ms / 60000))))


def add_metrics(into: Metrics, other: Metrics) -> None:
    for name in COUNTS:
        into[name] += other.get(name, 0)
    for hist in ("wait_hist", "service_hist"):
        target = into[hist]
        for b, n in other[hist].items():
            target[b] = target.get(b, 0) + n
    into["rated"] = [a + b for a, b in zip(into["rated"], other["rated"], strict=True)]


def merge(aggregates: Iterable[Aggregate]) -> Aggregate:
    """The sum of several days (the result's `day` is empty)."""
    out = new_aggregate("")
    for agg in aggregates:
        out["events"] += agg["events"]
        for name, m in agg["groups"].items():
            add_metrics(out["groups"].setdefault(name, new_metrics()), m)
        out["hours"] = [a + b for a, b in zip(out["hours"], agg["hours"], strict=True)]
        for reason, n in agg["reasons"].items():
            out["reasons"][reason] = out["reasons"].get(reason, 0) + n
        out["comments"].extend(agg["comments"])
    return out


def summary(agg: Aggregate) -> Aggregate:
    """A day as a range report lists it: its "all" group and hours, not every dimension."""
    return {
        "v": VERSION, "day": agg["day"], "events": agg["events"],
        "groups": {"all": agg["groups"].get("all") or new_metrics()}, "hours": agg["hours"],
        "reasons": {}, "comments": [],
    }  # fmt: skip


def roll_up(month: str, days: Sequence[Aggregate]) -> dict[str, Any]:
    """A closed month: its days merged, and each day's summary for the per-day table."""
    total = merge(days)
    total["comments"] = total["comments"][-MONTH_COMMENTS:]
    return {"v": VERSION, "month": month, "total": total, "days": [summary(d) for d in days]}


def percentile_minutes(hist: dict[str, int], q: float = 0.9) -> int | None:
    """Nearest-rank percentile of a histogram, as the upper edge of its bucket in minutes."""
    total = sum(hist.values())
    if total == 0:
        return None
    rank = math.ceil(q * total)
    seen = 0
    for b in sorted(hist, key=int):
        seen += hist[b]
        if seen >= rank:
            return int(b)
    return MAX_MINUTES


class AggregateStore:
    def __init__(self, client: aredis.Redis) -> None:
        self.r: Any = client

    async def get_many(self, slug: str, days: Sequence[str]) -> list[Aggregate | None]:
        """Stored aggregates of the days (None where missing or of an older shape)."""
        if not days:
            return []
        raw = await self.r.mget([keys.day_aggregate(slug, d) for d in days])
        out: list[Aggregate | None] = []
        for item in raw:
            agg = json.loads(item) if item else None
            out.append(agg if agg is not None and agg.get("v") == VERSION else None)
        return out

    async def put(self, slug: str, agg: Aggregate) -> None:
        await self.r.set(
            keys.day_aggregate(slug, agg["day"]), json.dumps(agg, separators=(",", ":"))
        )

    async def get_months(self, slug: str, months: Sequence[str]) -> list[dict[str, Any] | None]:
        if not months:
            return []
        raw = await self.r.mget([keys.month_aggregate(slug, m) for m in months])
        out: list[dict[str, Any] | None] = []
        for item in raw:
            rolled = json.loads(item) if item else None
            out.append(rolled if rolled is not None and rolled.get("v") == VERSION else None)
        return out

    async def put_month(self, slug: str, rolled: dict[str, Any]) -> None:
        await self.r.set(
            keys.month_aggregate(slug, rolled["month"]), json.dumps(rolled, separators=(",", ":"))
        )

    async def events(
        self, slug: str, start_ms: int, end_ms: int
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """(type, data) of the office's events recorded in [start_ms, end_ms), in order:
        stream ids are the milliseconds at which Redis appended them."""
        async for _, etype, data in self.entries(slug, start_ms, end_ms):
            yield etype, data

    async def entries(
        self, slug: str, start_ms: int, end_ms: int, after: str | None = None
    ) -> AsyncIterator[tuple[str, str, dict[str, Any]]]:
        """(id, type, data) of the events in [start_ms, end_ms), only those after the event
        id `after` if given: a fold kept in memory reads only what was added since."""
        low = "(" + after if after else str(start_ms)
        high = str(end_ms - 1)
        while True:
            page = await self.r.xrange(keys.events(slug), min=low, max=high, count=SCAN_PAGE)
            for eid, fields in page:
                data = json.loads(fields.get("data") or "{}")
                yield eid, fields.get("type", ""), data
            if len(page) < SCAN_PAGE:
                return
            low = "(" + page[-1][0]
