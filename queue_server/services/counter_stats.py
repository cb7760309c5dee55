"""What one counter did today, read back from the office event stream.

The stream is the audit log, so these counts need no counters of their own that could drift
from it: finishing and no-show events name the counter and carry the ticket's times.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, time
from typing import Any

from queue_server.office import Office
from queue_server.services.clock import Clock, local_day
from queue_server.store.events import EventLog

COUNTED = ("ticket.finished", "ticket.no_show")


@dataclass(frozen=True)
class CounterToday:
    """Tickets a counter finished and marked as no-show in the office day `day`."""

    counter: int
    day: str
    served: int
    no_show: int
    avg_service_s: int | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def day_start_ms(now_ms: int, office: Office) -> int:
    """Midnight of the office day that contains `now_ms`, in epoch milliseconds."""
    local = datetime.fromtimestamp(now_ms / 1000, office.tz)
    return int(datetime.combine(local.date(), time(0), office.tz).timestamp() * 1000)


def summarise(events: Iterable[tuple[str, dict[str, Any]]], counter: int, day: str) -> CounterToday:
    """Counts over (event type, ticket data) pairs. Only tickets of `day` count: stream ids
    carry the Redis server's time, which need not agree with the office clock."""
    served = no_show = 0
    durations: list[int] = []
    wanted = str(counter)
    for etype, data in events:
        if str(data.get("counter") or "") != wanted or data.get("day") != day:
            continue
        if etype == "ticket.finished":
            served += 1
            started, finished = data.get("started_at"), data.get("finished_at")
            if started not in (None, "") and finished not in (None, ""):
                durations.append(max(0, int(float(finished)) - int(float(started))))
        elif etype == "ticket.no_show":
            no_show += 1
    avg = round(sum(durations) / len(durations) / 1000) if durations else None
    return CounterToday(counter, day, served, no_show, avg)


def finished(
    events: Iterable[tuple[str, dict[str, Any]]], counter: int, day: str
) -> list[dict[str, Any]]:
    """The tickets `counter` finished in the office day `day`, the last one first: a clerk
    who pressed "Hoàn thành" before "Hẹn trả kết quả" finds the citizen's ticket here."""
    wanted = str(counter)
    out = [
        {
            "id": data.get("id"),
            "number": data.get("number"),
            "field": data.get("field"),
            "finished_at": int(float(data.get("finished_at") or 0)),
        }
        for etype, data in events
        if etype == "ticket.finished"
        and str(data.get("counter") or "") == wanted
        and data.get("day") == day
        and data.get("id")
    ]
    return out[::-1]


class CounterStats:
    def __init__(self, events: EventLog, clock: Clock | None = None) -> None:
        self.events = events
        self.clock = clock or Clock()

    async def today(self, office: Office, counter: int) -> CounterToday:
        now = self.clock.now_ms()
        return summarise(
            await self.events.since(office.slug, day_start_ms(now, office), COUNTED),
            counter,
            local_day(now, office.tz),
        )

    async def finished_today(self, office: Office, counter: int) -> list[dict[str, Any]]:
        now = self.clock.now_ms()
        events = await self.events.since(office.slug, day_start_ms(now, office), COUNTED)
        return finished(events, counter, local_day(now, office.tz))
