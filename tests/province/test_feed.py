"""`ProvinceFeed` in process, on the test Redis: one subscription per office shared by every
page, rows for the office that changed, nothing left behind when the pages leave."""

from __future__ import annotations

import asyncio
from typing import Any

from queue_server.config import Config
from queue_server.services.clock import Clock
from queue_server.services.hub import Hub
from queue_server.services.offices import OfficeRegistry
from queue_server.services.province import ProvinceFeed, ProvinceService
from queue_server.services.queue import QueueService
from queue_server.services.reports import ReportsService
from queue_server.store.aggregates import AggregateStore
from queue_server.store.queue import QueueStore
from tests.province.conftest import OFFICE_A, OFFICE_B


async def test_feed_shares_subscriptions_and_stops(r: Any, config: Config) -> None:
    store = QueueStore(r)
    registry = OfficeRegistry(config)
    queue = QueueService(config, store, Clock(), registry)
    province = ProvinceService(
        registry, queue, ReportsService(registry, AggregateStore(r), Clock())
    )
    hub = Hub(store, block_ms=500)
    feed = ProvinceFeed(province, hub, min_interval_s=0.1)
    try:
        first, second = await feed.join(), await feed.join()
        assert hub.clients() == 2  # one per office, for both pages
        await queue.record_event(OFFICE_B, "staff.changed", {"by": "test"})
        for page in (first, second):
            rows = await asyncio.wait_for(page.take(), 5)
            assert rows is not None and [row.office for row in rows] == [OFFICE_B]
        await queue.record_event(OFFICE_A, "staff.changed", {"by": "test"})
        rows = await asyncio.wait_for(first.take(), 5)
        assert rows is not None and [row.office for row in rows] == [OFFICE_A]
        feed.leave(first)
        assert hub.clients() == 2
        feed.leave(second)
        assert hub.clients() == 0
        # At shutdown a page still listening hears the end, and keeps hearing it.
        third = await feed.join()
        await feed.close()
        assert await asyncio.wait_for(third.take(), 1) is None
        assert await asyncio.wait_for(third.take(), 1) is None
    finally:
        await feed.close()
        await hub.close()
