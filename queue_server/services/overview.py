"""The public overview of an office: per field of service, who waits and how long a new
ticket would wait. What the kiosk shows on its buttons; it holds no ticket ids."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from queue_server.errors import Text
from queue_server.office import Field, Office
from queue_server.rules.calling import Waiting, calling_order
from queue_server.rules.waiting import average_service_s, estimated_wait_s
from queue_server.services.queue import QueueService
from queue_server.services.walk_ins import FIELD_CLOSED, Say, walk_in_state

NO_OPEN_COUNTER = "no_open_counter"
WALK_IN_CLOSED = "walk_in_closed"
_REASONS = {
    NO_OPEN_COUNTER: Text(text_key="walk_in.no_open_counter"),
    WALK_IN_CLOSED: FIELD_CLOSED,
}
# Sorts after every real ticket of its class, as a ticket issued now would.
_NEW = "~new"


@dataclass(frozen=True)
class FieldLoad:
    """One field of service as a citizen choosing it sees it."""

    field: Field
    waiting: int
    estimated_wait_s: int
    open_counters: int
    walk_ins_open: bool = True

    @property
    def available(self) -> bool:
        return self.walk_ins_open and self.open_counters > 0

    @property
    def reason(self) -> str | None:
        if not self.walk_ins_open:
            return WALK_IN_CLOSED
        return None if self.open_counters > 0 else NO_OPEN_COUNTER

    def to_json(self, say: Say) -> dict[str, Any]:
        reason = self.reason
        return {
            "code": self.field.code,
            "name_vi": self.field.name_vi,
            "name_en": self.field.name_en,
            "prefix": self.field.prefix,
            "waiting": self.waiting,
            "estimated_wait_s": self.estimated_wait_s,
            "open_counters": self.open_counters,
            "available": self.available,
            "reason": reason,
            "reason_text": None if reason is None else say([_REASONS[reason]]),
        }


def new_ticket_ahead(waiting: list[Waiting], interleave: int, now_ms: int) -> int:
    """How many of a lane's waiting tickets a normal ticket issued now would wait for."""
    newcomer = Waiting(_NEW, "normal", float("inf"))
    order = calling_order([*waiting, newcomer], interleave, now_ms)
    return next(i for i, w in enumerate(order) if w.id == _NEW)


async def field_loads(queue: QueueService, office: Office) -> list[FieldLoad]:
    """Every field of the office in configured order. Reads are not one transaction: a
    display figure may lag one event behind, and the kiosk refreshes on every event."""
    store = queue.store
    codes = [f.code for f in office.fields]
    waiting, open_counts, samples, walk_ins = await asyncio.gather(
        store.waiting(office.slug, codes),
        store.open_counts(office),
        asyncio.gather(*(store.service_samples(office.slug, c) for c in codes)),
        store.walk_ins_open(office.slug),
    )
    now = queue.clock.now_ms()
    loads = []
    for f, field_samples in zip(office.fields, samples, strict=True):
        lane = waiting[f.code]
        open_n = open_counts.get(f.code, 0)
        ahead = new_ticket_ahead(lane, office.interleave, now)
        avg = average_service_s(field_samples, f.service_minutes)
        wait = estimated_wait_s(ahead, avg, open_n)
        loads.append(FieldLoad(f, len(lane), wait, open_n, walk_ins))
    return loads


async def office_overview(queue: QueueService, slug: str, say: Say) -> dict[str, Any]:
    """The JSON of `GET /api/v1/offices/{office}/overview`."""
    office = queue.office(slug)
    loads = await field_loads(queue, office)
    return {
        "office": office.slug,
        "name": office.name,
        "walk_in": walk_in_gate_json(queue, office, loads, say),
        "fields": [load.to_json(say) for load in loads],
    }


def walk_in_gate_json(
    queue: QueueService, office: Office, loads: list[FieldLoad], say: Say
) -> dict[str, Any]:
    """The gate as `loads` read it, with the reason and the next opening when closed."""
    is_open = all(load.walk_ins_open for load in loads)
    return walk_in_state(office, is_open, queue.clock.now_ms(), say)
