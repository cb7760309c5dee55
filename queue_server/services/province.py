"""The province view: every office side by side, now and over a month.

A row per office: who waits now and for how long (the queue's snapshot), its open counters,
and today's served tickets, share served within the target wait and rating average (today
folded from the event stream, as the office's own report folds it). `ProvinceFeed` pushes
an office's fresh row to the province's live pages when the office's events arrive.

Figures, as docs/api.md states them:
- a ticket waits from its issue (`issued_at`), as on the counter's list and the manager's
  floor; `longest_wait_s` is the longest wait among the office's waiting tickets;
- an office is *overdue* ("khách chờ được xin lỗi") while a waiting ticket has waited
  longer than its field's `target_wait_minutes`;
- `within_target_share` = tickets finished today whose wait (issue to first call) was at
  most their field's target, over the tickets finished today, in percent (the report's
  service level);
- `rating_average` = the mean of today's ratings on the shared scale, 1 = rất hài lòng
  (very satisfied) to 4 or 5 = (rất) không hài lòng: lower is better.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from queue_server.office import Office
from queue_server.services.hub import Hub, Subscription
from queue_server.services.offices import OfficeRegistry
from queue_server.services.queue import QueueService
from queue_server.services.reports import (
    DEFAULT_TARGET_MINUTES,
    DayFolder,
    Metrics,
    Report,
    ReportsService,
    day_bounds,
    new_metrics,
)
from queue_server.store.aggregates import AggregateStore, merge
from queue_server.store.errors import StoreError

log = logging.getLogger("sothutu.province")


def rating_average(rated: list[int]) -> float | None:
    """The mean level of ratings counted per level (index 0 = level 1, the best)."""
    n = sum(rated)
    if not n:
        return None
    return round(sum((i + 1) * c for i, c in enumerate(rated)) / n, 2)


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class OfficeRow:
    """One office now. `as_of_ms` is the moment the waits were measured; a page keeps the
    longest wait growing from `longest_since_ms` and marks the office once `overdue_at_ms`
    (the moment the first waiting ticket passes its field's target) is past."""

    office: str
    name: str
    day: str
    as_of_ms: int
    waiting: int
    longest_wait_s: int | None
    longest_since_ms: int | None
    counters_open: int
    counters: int
    served_today: int
    within_target_today: int
    within_target_share: float | None
    rated_today: int
    rating_average: float | None
    overdue: bool
    overdue_at_ms: int | None
    overdue_fields: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def office_row(office: Office, snapshot: dict[str, Any], today: Metrics, now_ms: int) -> OfficeRow:
    """The row of `office` from its queue snapshot and today's "all" metrics."""
    oldest: int | None = None
    overdue_at: int | None = None
    late: set[str] = set()
    waiting = 0
    # A ticket transferred to a counter waits in that counter's lane: it counts all the same.
    for tickets in snapshot["lanes"].values():
        for t in tickets:
            waiting += 1
            issued = int(t["issued_at"])
            oldest = issued if oldest is None else min(oldest, issued)
            f = office.field(str(t["field"]))
            target_ms = (f.target_wait_minutes if f else DEFAULT_TARGET_MINUTES) * 60_000
            due = issued + target_ms
            overdue_at = due if overdue_at is None else min(overdue_at, due)
            if now_ms > due:
                late.add(str(t["field"]))
    counters = snapshot["counters"]
    return OfficeRow(
        office=office.slug,
        name=office.name,
        day=str(snapshot["day"]),
        as_of_ms=now_ms,
        waiting=waiting,
        longest_wait_s=None if oldest is None else max(0, now_ms - oldest) // 1000,
        longest_since_ms=oldest,
        counters_open=sum(1 for c in counters if c["status"] == "open"),
        counters=len(office.counters),
        served_today=today["served"],
        within_target_today=today["within_target"],
        within_target_share=share(today["within_target"], today["served"]),
        rated_today=sum(today["rated"]),
        rating_average=rating_average(today["rated"]),
        overdue=bool(late),
        overdue_at_ms=overdue_at,
        overdue_fields=[f.code for f in office.fields if f.code in late]
        + sorted(late - {f.code for f in office.fields}),
    )


@dataclass(frozen=True)
class ProvinceReport:
    """One report per office over the same days, and their sum."""

    start: date
    end: date
    offices: list[Report]
    total: Metrics


class TodayFolds:
    """Each office's fold of today (`reports.DayFolder`, as its report folds the live day),
    kept between rows and extended by the events added since the last read: a row reads
    only the office's new events rather than its whole day again. A new day, or a change of
    the office's settings (a field's target), starts the fold afresh."""

    def __init__(self, store: AggregateStore) -> None:
        self.store = store
        # slug -> (the office it was folded for, the folder, the last event id folded)
        self._folds: dict[str, tuple[Office, DayFolder, str | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def metrics(self, office: Office, day: date) -> Metrics:
        """Today's "all" group of `office`, up to its newest event."""
        async with self._locks.setdefault(office.slug, asyncio.Lock()):
            found = self._folds.get(office.slug)
            if found is None or found[0] is not office or found[1].day != day.isoformat():
                found = (office, DayFolder(office, day.isoformat()), None)
            _, folder, last = found
            start, end = day_bounds(office, day)
            try:
                async for eid, etype, data in self.store.entries(office.slug, start, end, last):
                    folder.add(etype, data)
                    last = eid
            except BaseException:
                # Some events may be in the folder and not in `last`: fold afresh next time.
                self._folds.pop(office.slug, None)
                raise
            self._folds[office.slug] = (office, folder, last)
            metrics: Metrics = folder.agg["groups"].get("all") or new_metrics()
            return metrics

    def forget(self, keep: set[str]) -> None:
        """Drops the folds of offices no longer in the registry."""
        for slug in [s for s in self._folds if s not in keep]:
            del self._folds[slug]
            self._locks.pop(slug, None)


class ProvinceService:
    """Figures across every office of the registry, as it is at each call."""

    def __init__(self, offices: OfficeRegistry, queue: QueueService, reports: ReportsService):
        self.offices = offices
        self.queue = queue
        self.reports = reports
        self.folds = TodayFolds(reports.store)

    async def row(self, office: Office) -> OfficeRow:
        today = self.reports.today(office)
        snapshot, metrics = await asyncio.gather(
            self.queue.snapshot(office.slug), self.folds.metrics(office, today)
        )
        return office_row(office, snapshot, metrics, self.queue.clock.now_ms())

    async def overview(self) -> list[OfficeRow]:
        """Every office's row, by name."""
        offices = sorted(self.offices.all(), key=lambda o: (o.name, o.slug))
        self.folds.forget({o.slug for o in offices})
        return list(await asyncio.gather(*(self.row(o) for o in offices)))

    def this_month(self) -> date:
        """The first day of the current month (of the first office's clock)."""
        offices = self.offices.all()
        if not offices:
            now = datetime.fromtimestamp(self.queue.clock.now_ms() / 1000, UTC)
            return now.date().replace(day=1)
        return self.reports.today(offices[0]).replace(day=1)

    async def report(self, start: date, end: date) -> ProvinceReport:
        """Each office's report of [start, end], by name, and the province's sum: the
        offices open at some time of those days, closed ones included."""
        offices = sorted(self._open_during(start, end), key=lambda o: (o.name, o.slug))
        found = list(await asyncio.gather(*(self.reports.report(o, start, end) for o in offices)))
        total = merge(r.total for r in found)["groups"].get("all") or new_metrics()
        return ProvinceReport(start, end, found, total)

    def _open_during(self, start: date, end: date) -> list[Office]:
        """The offices open at some moment of the days [start, end], each counted in its
        own time zone."""
        found = []
        for office in self.offices.known():
            first = datetime.combine(start, datetime.min.time(), office.tz)
            after = datetime.combine(end + timedelta(days=1), datetime.min.time(), office.tz)
            window = (int(first.timestamp() * 1000), int(after.timestamp() * 1000) - 1)
            if office.slug in {o.slug for o in self.offices.open_between(*window)}:
                found.append(office)
        return found


class FeedListener:
    """One live page's rows waiting to be sent: a newer row of an office replaces an older
    one, so a slow page never holds more than a row per office."""

    def __init__(self) -> None:
        self.pending: dict[str, OfficeRow] = {}
        self.ready = asyncio.Event()
        self.closed = False

    def put(self, row: OfficeRow) -> None:
        self.pending[row.office] = row
        self.ready.set()

    def close(self) -> None:
        self.closed = True
        self.ready.set()

    async def take(self) -> list[OfficeRow] | None:
        """The rows pending, waiting for one; None once the feed has ended."""
        await self.ready.wait()
        if not self.closed:  # once closed, every later call answers at once
            self.ready.clear()
        rows = list(self.pending.values())
        self.pending.clear()
        if not rows and self.closed:
            return None
        return rows


class ProvinceFeed:
    """Fresh rows for the live province pages of this process.

    While at least one page listens, the feed holds a hub subscription to every office of
    the registry (the hub then reads those offices' event streams) and one small task per
    office that marks the office changed when an event arrives. One task computes the rows
    of the changed offices once for all pages, then waits out the rest of `min_interval_s`:
    an office gets at most one row per interval however busy it is, and the events within
    an interval cost one row. Offices added to or removed from the registry are followed at
    the next batch, or after `resync_s` at the latest. The last page leaving stops it all.

    >>> listener = await feed.join()  # then read the overview: no event falls between
    >>> rows = await listener.take(); feed.leave(listener)
    """

    def __init__(
        self,
        service: ProvinceService,
        hub: Hub,
        min_interval_s: float = 1.0,
        resync_s: float = 30.0,
    ) -> None:
        self.service = service
        self.hub = hub
        self.min_interval_s = min_interval_s
        self.resync_s = resync_s
        self.listeners: set[FeedListener] = set()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._subs: dict[str, Subscription] = {}
        self._pumps: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._ended = False

    async def join(self) -> FeedListener:
        """A listener that gets a row of every office that changes after this returns."""
        async with self._lock:
            listener = FeedListener()
            if self._ended:
                listener.close()
                return listener
            self.listeners.add(listener)
            if self._task is None:
                try:
                    await self._follow()
                except BaseException:
                    self.listeners.discard(listener)
                    self._stop()
                    raise
                self._dirty.clear()  # a page starts from the overview it reads after joining
                self._task = asyncio.create_task(self._run(), name="sothutu-province-feed")
            return listener

    def leave(self, listener: FeedListener) -> None:
        self.listeners.discard(listener)
        if not self.listeners:
            self._stop()

    async def close(self) -> None:
        """At shutdown: ends the feed; every listener's `take` answers None."""
        self._ended = True
        task = self._task
        self._stop()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for listener in list(self.listeners):
            listener.close()

    def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        for task in self._pumps.values():
            task.cancel()
        for sub in self._subs.values():
            self.hub.unsubscribe(sub)
        self._pumps.clear()
        self._subs.clear()
        self._dirty.clear()

    async def _follow(self) -> None:
        """Subscribes to the registry's offices not followed yet, drops removed ones."""
        now = {o.slug for o in self.service.offices.all()}
        for slug in [s for s in self._subs if s not in now]:
            self._pumps.pop(slug).cancel()
            self.hub.unsubscribe(self._subs.pop(slug))
        for slug in sorted(now - self._subs.keys()):
            sub = await self.hub.subscribe(slug)
            self._subs[slug] = sub
            self._pumps[slug] = asyncio.create_task(
                self._pump(slug, sub), name=f"sothutu-province-{slug}"
            )
            self._dirty.add(slug)  # an office added since shows up at once

    async def _pump(self, slug: str, sub: Subscription) -> None:
        while True:
            out = await sub.queue.get()
            if out is None:
                if not sub.overflowed:  # the hub is shutting down
                    self._ended = True
                    self._wake.set()
                    return
                sub = await self.hub.subscribe(slug)  # fell behind: follow again
                self._subs[slug] = sub
            self._dirty.add(slug)
            self._wake.set()

    async def _run(self) -> None:
        while not self._ended:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.resync_s):
                    await self._wake.wait()
            self._wake.clear()
            if self._ended:
                break
            began = time.monotonic()
            try:
                async with self._lock:
                    await self._follow()
                if self._dirty:
                    changed = sorted(self._dirty)
                    self._dirty.clear()
                    try:
                        await self._publish(changed)
                    except BaseException:
                        self._dirty.update(changed)
                        raise
            except StoreError as exc:
                log.info("province rows not computed (%s); trying again", exc)
                self._wake.set()
            await asyncio.sleep(max(0.0, self.min_interval_s - (time.monotonic() - began)))
        for listener in list(self.listeners):
            listener.close()

    async def _publish(self, slugs: list[str]) -> None:
        offices = [o for o in map(self.service.offices.get, slugs) if o is not None]
        rows = await asyncio.gather(*(self.service.row(o) for o in offices))
        for listener in list(self.listeners):
            for row in rows:
                listener.put(row)
