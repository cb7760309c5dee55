"""A generated office history whose true figures are known, written to the event stream in
the shape the Lua scripts write (ticket hashes as strings, counter states, ratings,
booking events), with stream ids at the instants the events happened.

The services cannot write such a history themselves: Redis stamps a stream id with its own
clock, not the test's. `test_history_shape` checks this writer against the real scripts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.store import keys

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PREFIXES = {"HT": "A", "CT": "B", "DD": "C", "LD": "D", "TP": "E"}


@dataclass(frozen=True)
class Visit:
    """One ticket's life. wait_s None: never called (cancelled if `cancelled`, else left
    waiting at closing); service_s None after a call: no-show."""

    day: date
    at: time
    field: str
    counter: int = 0
    wait_s: int | None = None
    service_s: int | None = None
    priority: str | None = None
    cancelled: bool = False
    rating: int | None = None
    reason: str = ""

    @property
    def issued_ms(self) -> int:
        return ms(self.day, self.at)

    @property
    def served(self) -> bool:
        return self.wait_s is not None and self.service_s is not None

    @property
    def no_show(self) -> bool:
        return self.wait_s is not None and self.service_s is None


@dataclass(frozen=True)
class Booking:
    """A booking event: etype appointment.booked/checked_in/no_show/cancelled/rescheduled."""

    day: date
    at: time
    etype: str
    kind: str
    field: str


def ms(day: date, at: time) -> int:
    return int(datetime.combine(day, at, TZ).timestamp() * 1000)


START_OF_SERVICE_S = 20  # from the call to "start"
NO_SHOW_AFTER_S = 60
CANCEL_AFTER_S = 300
RATE_AFTER_S = 10


def events(
    slug: str,
    visits: list[Visit],
    staff: dict[tuple[date, int], str],
    bookings: list[Booking] = (),  # type: ignore[assignment]
) -> list[tuple[int, str, dict[str, Any]]]:
    """(ms, type, data) of the whole history, in time order."""
    out: list[tuple[int, str, dict[str, Any]]] = []
    for (day, number), name in staff.items():
        opened = ms(day, time(7, 30))
        out.append((opened, "counter.opened", {
            "number": str(number), "status": "open", "updated_at": str(opened), "staff": name,
            "current": "", "current_number": "", "current_status": "", "streak": "0",
        }))  # fmt: skip
    numbers: dict[tuple[date, str], int] = defaultdict(int)
    for i, v in enumerate(sorted(visits, key=lambda v: v.issued_ms)):
        numbers[(v.day, v.field)] += 1
        t0 = v.issued_ms
        klass = "normal" if v.priority is None else "priority"
        # As issue.lua writes it: no empty fields (priority, due_at, counter, recalls).
        t: dict[str, Any] = {
            "id": f"{slug}.gen{i:08d}xx", "office": slug,
            "number": f"{PREFIXES[v.field]}{numbers[(v.day, v.field)]:03d}",
            "field": v.field, "lane": v.field, "class": klass,
            "status": "waiting", "issued_at": str(t0), "order": str(i + 1),
            "day": v.day.isoformat(),
        }  # fmt: skip
        if v.priority is not None:
            t["priority"] = v.priority
        out.append((t0, "ticket.issued", dict(t)))
        if v.wait_s is not None:
            called = t0 + v.wait_s * 1000
            t.update(status="called", counter=str(v.counter), called_at=str(called))
            out.append((called, "ticket.called", dict(t)))
            if v.service_s is None:
                end = called + NO_SHOW_AFTER_S * 1000
                t.update(status="no_show", finished_at=str(end))
                out.append((end, "ticket.no_show", dict(t)))
                continue
            started = called + START_OF_SERVICE_S * 1000
            t.update(status="serving", started_at=str(started))
            out.append((started, "ticket.started", dict(t)))
            end = started + v.service_s * 1000
            t.update(status="done", finished_at=str(end))
            out.append((end, "ticket.finished", dict(t)))
            if v.rating is not None:
                at = end + RATE_AFTER_S * 1000
                rated = {
                    "level": v.rating, "reason": v.reason, "counter": v.counter,
                    "field": v.field, "staff": staff.get((v.day, v.counter), ""),
                    "day": v.day.isoformat(), "at": at,
                }  # fmt: skip
                if v.priority is not None:
                    rated["priority"] = v.priority
                out.append((at, "ticket.rated", rated))
        elif v.cancelled:
            end = t0 + CANCEL_AFTER_S * 1000
            t.update(status="cancelled", finished_at=str(end))
            out.append((end, "ticket.cancelled", dict(t)))
    for b in bookings:
        out.append((ms(b.day, b.at), b.etype, {
            "kind": b.kind, "field": b.field, "procedure": "p", "day": b.day.isoformat(),
            "start": ms(b.day, time(9)), "status": "booked", "ticket_number": "",
        }))  # fmt: skip
    out.sort(key=lambda e: e[0])
    return out


async def write(client: Any, slug: str, history: list[tuple[int, str, dict[str, Any]]]) -> int:
    """Appends the events with ids at their instants; returns how many."""
    last_ms, seq = -1, 0
    stream = keys.events(slug)
    async with client.pipeline(transaction=False) as p:
        for n, (at, etype, data) in enumerate(history, 1):
            seq = seq + 1 if at == last_ms else 0
            last_ms = at
            p.xadd(stream, {"type": etype, "data": json.dumps(data)}, id=f"{at}-{seq}")
            if n % 10000 == 0:
                await p.execute()
        await p.execute()
    return len(history)
