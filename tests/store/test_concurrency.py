"""Races: concurrent kiosks and counters against one Redis, from separate connections."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from queue_server.services.queue import QueueService
from queue_server.store.connection import EmbeddedRedis, connect
from queue_server.store.queue import QueueStore
from tests.conftest import OFFICE


async def test_200_concurrent_issues_get_200_distinct_numbers(http: httpx.AsyncClient) -> None:
    url = f"/api/v1/offices/{OFFICE}/tickets"
    responses = await asyncio.gather(*(http.post(url, json={"field": "HT"}) for _ in range(200)))
    assert {r.status_code for r in responses} == {201}
    numbers = [r.json()["number"] for r in responses]
    assert len(set(numbers)) == 200
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 201)]
    positions = sorted(r.json()["position"] for r in responses)
    assert positions == list(range(200))


async def test_five_counters_calling_at_once_never_share_a_ticket(
    redis_server: EmbeddedRedis, service: QueueService, config: Any
) -> None:
    # Counters 1, 2 and 3 all serve HT; 5 serves TP which counter 1 also serves.
    for n in (1, 2, 3, 4, 5):
        await service.counter_action(OFFICE, n, "open")
    for _ in range(60):
        await service.issue(OFFICE, "HT")
        await service.issue(OFFICE, "TP")
        await service.issue(OFFICE, "CT")
    clients = [connect(redis_server.url()) for _ in range(5)]
    services = [QueueService(config, QueueStore(c), service.clock) for c in clients]
    seen: list[str] = []

    async def counter(svc: QueueService, number: int) -> None:
        while (t := await svc.call_next(OFFICE, number)) is not None:
            seen.append(t.id)
            await svc.step(t.id, "finish", number)

    try:
        await asyncio.gather(
            *(counter(svc, n) for svc, n in zip(services, (1, 2, 3, 4, 5), strict=True))
        )
    finally:
        for c in clients:
            await c.aclose()
    assert len(seen) == len(set(seen)) == 180
    snap = await service.snapshot(OFFICE)
    assert all(items == [] for items in snap["lanes"].values())
