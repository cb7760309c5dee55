"""Reports: day aggregates folded from the office event stream, merged over any range.

A closed day (before today in the office's time zone) is folded once from its events and
stored (`store.aggregates`); a closed month is rolled up once from its days; today is
folded live on every request. A report over a range reads whole months from their
roll-ups and other days from their aggregates (one MGET each), builds what is missing
(the first report after an upgrade, or a day the scheduler has not reached), and merges.

How events count:
- ticket events count on the ticket's own day (`day` in the ticket), so a waiting ticket
  that the next morning's rollover cancels is not counted twice: at the close of its day,
  every ticket neither served, absent nor cancelled counts as cancelled (not served);
- wait = issued -> first call; service = started (or called) -> finished; a served ticket
  is within the service level when its wait is at most its field's `target_wait_minutes`;
- issued tickets count per field and class; calls, service, no-shows and ratings also per
  counter and staff member (who had opened the counter);
- appointments: bookings made, check-ins (kept), no-shows and cancellations on the day they
  happen; result pickups: results recorded and results postponed (late, apology slip).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from queue_server.office import Office
from queue_server.services.clock import Clock, local_day
from queue_server.services.offices import OfficeRegistry
from queue_server.services.ratings import reason_group
from queue_server.store.aggregates import (
    LEVELS,
    Aggregate,
    AggregateStore,
    bucket,
    merge,
    new_aggregate,
    percentile_minutes,
    roll_up,
    summary,
)
from queue_server.store.aggregates import Metrics as Metrics  # handed on to web
from queue_server.store.aggregates import new_metrics as new_metrics

DEFAULT_TARGET_MINUTES = 20
MAX_COMMENTS = 50
# Days the nightly job looks back for closed days still without an aggregate.
CLOSE_LOOKBACK_DAYS = 7
MAX_RANGE_DAYS = 3 * 366


def _whole_month(day: date, start: date, last_closed: date) -> bool:
    """Whether [start, last_closed] holds the whole month of `day`."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first >= start and following - timedelta(days=1) <= last_closed


def day_bounds(office: Office, day: date) -> tuple[int, int]:
    """[start, end) of an office day in ms."""
    start = datetime.combine(day, datetime.min.time(), office.tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), office.tz)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


class DayFolder:
    """Folds one office day's events, in stream order, into an aggregate."""

    def __init__(self, office: Office, day: str) -> None:
        self.office = office
        self.day = day
        self.agg = new_aggregate(day)
        self.staff: dict[int, str] = {}
        self.waits: dict[str, int] = {}
        self.open: dict[str, tuple[str, str]] = {}

    def _groups(self, *names: str) -> list[Metrics]:
        groups = self.agg["groups"]
        return [groups.setdefault(n, new_metrics()) for n in ("all", *names)]

    @staticmethod
    def _class(data: dict[str, Any]) -> str:
        return str(data.get("priority") or "normal")

    def _target_ms(self, field: str) -> int:
        f = self.office.field(field)
        return (f.target_wait_minutes if f else DEFAULT_TARGET_MINUTES) * 60000

    def _served_by(self, data: dict[str, Any]) -> tuple[str, ...]:
        counter = int(data.get("counter") or 0)
        staff = str(data.get("staff") or self.staff.get(counter, ""))
        names = [f"field:{data.get('field', '')}", f"class:{self._class(data)}"]
        if counter:
            names.append(f"counter:{counter}")
        names.append(f"staff:{staff}")
        return tuple(names)

    def add(self, etype: str, data: dict[str, Any]) -> None:
        self.agg["events"] += 1
        if etype.startswith("ticket.") and etype != "ticket.rated":
            if data.get("day") == self.day:
                self._ticket(etype, data)
        elif etype.startswith("counter."):
            number = int(data.get("number") or 0)
            if data.get("staff"):
                self.staff[number] = str(data["staff"])
        elif etype == "ticket.rated":
            self._rated(data)
        elif etype.startswith("appointment."):
            self._appointment(etype, data)

    def _ticket(self, etype: str, data: dict[str, Any]) -> None:
        tid = str(data.get("id", ""))
        field = str(data.get("field", ""))
        if etype == "ticket.issued":
            for m in self._groups(f"field:{field}", f"class:{self._class(data)}"):
                m["issued"] += 1
            issued = datetime.fromtimestamp(int(data["issued_at"]) / 1000, self.office.tz)
            self.agg["hours"][issued.hour] += 1
            self.open[tid] = (field, self._class(data))
        elif etype == "ticket.called" and tid not in self.waits:
            wait = max(0, int(data["called_at"]) - int(data["issued_at"]))
            self.waits[tid] = wait
            for m in self._groups(*self._served_by(data)):
                m["called"] += 1
                m["wait_ms"] += wait
                b = bucket(wait)
                m["wait_hist"][b] = m["wait_hist"].get(b, 0) + 1
        elif etype == "ticket.finished":
            self.open.pop(tid, None)
            begin = data.get("started_at") or data.get("called_at")
            service = max(0, int(data["finished_at"]) - int(begin)) if begin else None
            first_wait = self.waits.get(tid)
            within = first_wait is not None and first_wait <= self._target_ms(field)
            for m in self._groups(*self._served_by(data)):
                m["served"] += 1
                m["within_target"] += int(within)
                if service is not None:
                    m["service_n"] += 1
                    m["service_ms"] += service
                    b = bucket(service)
                    m["service_hist"][b] = m["service_hist"].get(b, 0) + 1
        elif etype == "ticket.no_show":
            self.open.pop(tid, None)
            for m in self._groups(*self._served_by(data)):
                m["no_show"] += 1
        elif etype == "ticket.cancelled":
            self.open.pop(tid, None)
            for m in self._groups(f"field:{field}", f"class:{self._class(data)}"):
                m["cancelled"] += 1

    def _rated(self, data: dict[str, Any]) -> None:
        level = int(data.get("level") or 0)
        if not 1 <= level <= LEVELS:
            return
        for m in self._groups(*self._served_by(data)):
            m["rated"][level - 1] += 1
        reason = str(data.get("reason") or "")
        group = reason_group(reason)
        if group:
            self.agg["reasons"][group] = self.agg["reasons"].get(group, 0) + 1
        if group == "other" and len(self.agg["comments"]) < MAX_COMMENTS:
            self.agg["comments"].append(
                {"day": self.day, "field": data.get("field", ""), "level": level, "text": reason}
            )

    def _appointment(self, etype: str, data: dict[str, Any]) -> None:
        kind = data.get("kind")
        name = {
            ("visit", "appointment.booked"): "appt_booked",
            ("visit", "appointment.checked_in"): "appt_kept",
            ("visit", "appointment.no_show"): "appt_no_show",
            ("visit", "appointment.cancelled"): "appt_cancelled",
            ("result", "appointment.booked"): "results",
            ("result", "appointment.rescheduled"): "results_late",
        }.get((str(kind), etype))
        if name is not None:
            for m in self._groups(f"field:{data.get('field', '')}"):
                m[name] += 1

    def close(self) -> Aggregate:
        """The aggregate of a finished day: tickets left unserved count as cancelled."""
        for field, klass in self.open.values():
            for m in self._groups(f"field:{field}", f"class:{klass}"):
                m["cancelled"] += 1
        self.open.clear()
        return self.agg


@dataclass
class Report:
    """`days`: each day's summary (its "all" group and hours); `total`: the range merged,
    with every dimension."""

    office: Office
    start: date
    end: date
    days: list[Aggregate]
    total: Aggregate
    built_days: int
    build_s: float
    live_day: str | None

    def heatmap(self) -> list[list[int]]:
        """Tickets issued per weekday (Monday first) and hour."""
        grid = [[0] * 24 for _ in range(7)]
        for agg in self.days:
            wd = date.fromisoformat(agg["day"]).weekday()
            grid[wd] = [a + b for a, b in zip(grid[wd], agg["hours"], strict=True)]
        return grid

    def group(self, name: str) -> Metrics:
        m: Metrics = self.total["groups"].get(name) or new_metrics()
        return m

    def dimension(self, prefix: str) -> list[tuple[str, Metrics]]:
        """The groups of one dimension ("field", "counter", "staff", "class") in a stable
        order: the office's own order first, then any others (removed since) by name."""
        found = {
            n.split(":", 1)[1]: m
            for n, m in self.total["groups"].items()
            if n.startswith(prefix + ":")
        }
        known: list[str] = {
            "field": [f.code for f in self.office.fields],
            "counter": [str(c.number) for c in self.office.counters],
            "class": ["normal", *(p.code for p in self.office.priorities)],
        }.get(prefix, [])
        order = [k for k in known if k in found]
        order += sorted(k for k in found if k not in known)
        return [(k, found[k]) for k in order]


def figures(m: Metrics) -> dict[str, float | int | None]:
    """The numbers a manager reads, in column order; minutes and percentages rounded to
    one decimal, None where there is nothing to measure."""

    def ratio(a: int, b: int) -> float | None:
        return round(100 * a / b, 1) if b else None

    def minutes(ms: int, n: int) -> float | None:
        return round(ms / n / 60000, 1) if n else None

    rated = sum(m["rated"])
    return {
        "issued": m["issued"],
        "served": m["served"],
        "no_show": m["no_show"],
        "cancelled": m["cancelled"],
        "avg_wait": minutes(m["wait_ms"], m["called"]),
        "p90_wait": percentile_minutes(m["wait_hist"]),
        "avg_service": minutes(m["service_ms"], m["service_n"]),
        "p90_service": percentile_minutes(m["service_hist"]),
        "service_level": ratio(m["within_target"], m["served"]),
        "appt_booked": m["appt_booked"],
        "appt_kept": m["appt_kept"],
        "appt_no_show": m["appt_no_show"],
        "results": m["results"],
        "results_late": m["results_late"],
        # Postponements count on the day they happen, so a short range can hold more of them
        # than results recorded.
        "results_on_time": ratio(max(0, m["results"] - m["results_late"]), m["results"]),
        "rated": rated,
        "satisfaction": ratio(m["rated"][0] + m["rated"][1], rated),
    }


class ReportsService:
    def __init__(self, offices: OfficeRegistry, store: AggregateStore, clock: Clock) -> None:
        self.offices = offices
        self.store = store
        self.clock = clock

    def today(self, office: Office) -> date:
        return date.fromisoformat(local_day(self.clock.now_ms(), office.tz))

    async def fold(self, office: Office, day: date, closed: bool) -> Aggregate:
        """One day's aggregate computed from its events (not stored)."""
        folder = DayFolder(office, day.isoformat())
        start, end = day_bounds(office, day)
        async for etype, data in self.store.events(office.slug, start, end):
            folder.add(etype, data)
        return folder.close() if closed else folder.agg

    async def closed_days(self, office: Office, days: list[date]) -> tuple[list[Aggregate], int]:
        """Stored aggregates of closed days, building and storing the missing ones."""
        stored = await self.store.get_many(office.slug, [d.isoformat() for d in days])
        out: list[Aggregate] = []
        built = 0
        for day, agg in zip(days, stored, strict=True):
            if agg is None:
                agg = await self.fold(office, day, closed=True)
                await self.store.put(office.slug, agg)
                built += 1
            out.append(agg)
        return out, built

    async def report(self, office: Office, start: date, end: date) -> Report:
        """The figures of [start, end]: whole closed months from their roll-ups, other
        closed days from their aggregates, today live; days after today are left out."""
        began = time.perf_counter()
        today = self.today(office)
        last = min(end, today)
        days = [start + timedelta(days=i) for i in range((last - start).days + 1)]
        closed = [d for d in days if d < today]
        last_closed = min(end, today - timedelta(days=1))
        months = sorted(
            {d.strftime("%Y-%m") for d in closed if _whole_month(d, start, last_closed)}
        )
        loose = [d for d in closed if d.strftime("%Y-%m") not in months]
        rolled = await self.store.get_months(office.slug, months)
        built = 0
        parts: list[Aggregate] = []
        summaries: list[Aggregate] = []
        for month, roll in zip(months, rolled, strict=True):
            if roll is None:
                month_days = [d for d in closed if d.strftime("%Y-%m") == month]
                aggs, n = await self.closed_days(office, month_days)
                built += n
                roll = roll_up(month, aggs)
                await self.store.put_month(office.slug, roll)
            parts.append(roll["total"])
            summaries.extend(roll["days"])
        aggs, n = await self.closed_days(office, loose)
        built += n
        parts.extend(aggs)
        summaries.extend(summary(a) for a in aggs)
        live_day = None
        if start <= today <= end:
            live = await self.fold(office, today, closed=False)
            parts.append(live)
            summaries.append(summary(live))
            live_day = today.isoformat()
        summaries.sort(key=lambda a: str(a["day"]))
        return Report(
            office, start, end, summaries, merge(parts), built, time.perf_counter() - began,
            live_day,
        )  # fmt: skip

    async def close_days(self, now_ms: int, lookback: int = CLOSE_LOOKBACK_DAYS) -> int:
        """For the nightly job: store the aggregates of the last closed days that have none;
        returns how many were built."""
        built = 0
        # Closed offices too: the day an office closed is folded like any other.
        for office in self.offices.known():
            today = date.fromisoformat(local_day(now_ms, office.tz))
            days = [today - timedelta(days=i) for i in range(lookback, 0, -1)]
            built += (await self.closed_days(office, days))[1]
        return built
