"""What web asks the services for instead of reaching into a store or the Redis client."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from queue_server.config import parse_office
from queue_server.errors import NotFound
from queue_server.services.auth import AuthService
from queue_server.services.queue import QueueService
from queue_server.store import keys
from tests.conftest import OFFICE


async def test_user_exists(auth: AuthService) -> None:
    await auth.add_user("lan", "staff", "mat-khau-dai-1", offices=[OFFICE])
    assert await auth.user_exists("lan") is True
    assert await auth.user_exists("hoa") is False
    assert await auth.user_exists("") is False


async def test_ticket_and_counter_states(service: QueueService) -> None:
    placed = await service.issue(OFFICE, "HT")
    ticket = await service.ticket(placed.ticket.id)
    assert (ticket.id, ticket.number, ticket.status) == (placed.ticket.id, "A001", "waiting")
    with pytest.raises(NotFound):
        await service.ticket(f"{OFFICE}.AAAAAAAAAAAAAAAA")
    office = service.office(OFFICE)
    await service.counter_action(OFFICE, 2, "open", "lan")
    states = await service.counter_states(office)
    assert [s.number for s in states] == [c.number for c in office.counters]
    assert [s.number for s in states if s.status == "open"] == [2]


async def test_events_since_and_record_event(service: QueueService, r: Any) -> None:
    await service.issue(OFFICE, "HT")
    eid = await service.record_event(OFFICE, "counter.renamed", {"number": 1, "by": "hoa"})
    ((last_id, entry),) = await r.xrevrange(keys.events(OFFICE), count=1)
    assert (last_id, entry["type"]) == (eid, "counter.renamed")
    assert json.loads(entry["data"]) == {"number": 1, "by": "hoa"}
    # Stream ids carry Redis's clock, not the office's: ask from the epoch and from the future.
    events = await service.events_since(OFFICE, 0, 100)
    assert [e.type for e in events] == ["ticket.issued", "office.day_started", "counter.renamed"]
    assert [e.type for e in await service.events_since(OFFICE, 0, 1)] == ["ticket.issued"]
    assert await service.events_since(OFFICE, int(last_id.split("-")[0]) + 1, 100) == []
    with pytest.raises(NotFound):
        await service.record_event("nowhere", "counter.renamed", {})


async def test_follow_office_moves_open_counters_to_the_fields_they_serve(
    service: QueueService,
) -> None:
    office = service.office(OFFICE)
    await service.counter_action(OFFICE, 1, "open", "lan")
    before = await service.store.open_counts(office)
    assert (before["HT"], before["TP"], before["CT"]) == (1, 1, 0)
    table = copy.deepcopy(dict(office.raw))
    table["counters"][0]["fields"] = ["CT"]
    changed = parse_office(table, "test")
    await service.follow_office(changed)
    after = await service.store.open_counts(changed)
    assert (after["HT"], after["TP"], after["CT"]) == (0, 0, 1)


def test_lanes(service: QueueService) -> None:
    office = service.office(OFFICE)
    assert service.lanes(service.counter(office, 1)) == ["@1", "HT", "TP"]
    assert service.lanes(service.counter(office, 3)) == ["@3", "CT", "HT"]


async def test_ping(service: QueueService) -> None:
    await service.ping()
