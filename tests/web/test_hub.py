"""The hub's readers: every event once and in order, offices joining a running reader,
changes heard everywhere and events only where sockets want them, and a shutdown that does
not wait for a blocking read to time out."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import pytest
import redis

from queue_server import config as config_mod
from queue_server.rules.visibility import redact
from queue_server.services.hub import Hub, Outgoing, Subscription
from queue_server.services.offices import OfficeRegistry
from queue_server.store import keys
from queue_server.store.offices import OfficeSettings
from queue_server.store.queue import Event, QueueStore
from queue_server.store.streams import MAX_READERS, OFFICES_PER_READER, GroupReader, stream_group

OFFICE = "phuong-ba-dinh"
# Far longer than any test: whatever happens within a test came from a wake-up.
LONG_BLOCK_MS = 60_000


async def numbers(sub: Subscription, count: int) -> list[int]:
    got = []
    for _ in range(count):
        out = await asyncio.wait_for(sub.queue.get(), 2)
        assert isinstance(out, Outgoing)
        got.append(out.event.data["n"])
    return got


async def test_close_wakes_a_blocked_reader_at_once(r: Any) -> None:
    hub = Hub(QueueStore(r), block_ms=LONG_BLOCK_MS)
    sub = await hub.subscribe("phuong-ba-dinh")
    await asyncio.sleep(0.2)  # the reader is blocked in XREAD now
    started = time.monotonic()
    await hub.close()
    assert time.monotonic() - started < 1.0
    assert all(task.done() and not task.cancelled() for task in hub._readers)
    assert sub.queue.get_nowait() is None  # the socket is told to go
    assert await r.keys("sq:*:hub:*") == []  # the wake-up streams are removed


async def test_an_office_joins_a_blocked_reader_at_once_and_loses_nothing(r: Any) -> None:
    store = QueueStore(r)
    hub = Hub(store, block_ms=LONG_BLOCK_MS)
    try:
        first = await hub.subscribe("phuong-ba-dinh")
        await asyncio.sleep(0.2)
        second = await hub.subscribe("phuong-hoan-kiem")
        assert stream_group(r, "phuong-ba-dinh", 0) == stream_group(r, "phuong-hoan-kiem", 1)
        assert len(hub._readers) == 1  # one XREAD for both on one server
        for n in range(1, 6):
            await store.append_event("phuong-hoan-kiem", "test", {"n": n})
            await store.append_event("phuong-ba-dinh", "test", {"n": n * 10})
        assert await numbers(second, 5) == [1, 2, 3, 4, 5]
        assert await numbers(first, 5) == [10, 20, 30, 40, 50]
        assert first.queue.empty() and second.queue.empty()
    finally:
        await hub.close()


@pytest.mark.parametrize(
    ("order", "group"),
    [
        (0, 0),
        (OFFICES_PER_READER - 1, 0),
        (OFFICES_PER_READER, 1),
        (OFFICES_PER_READER * MAX_READERS - 1, MAX_READERS - 1),
        (OFFICES_PER_READER * MAX_READERS, 0),
    ],
)
async def test_on_one_server_offices_share_a_reader_by_the_order_they_are_watched(
    r: Any, order: int, group: int
) -> None:
    assert stream_group(r, "xa-001", order) == group


async def test_a_province_is_read_by_several_readers_and_loses_nothing(r: Any) -> None:
    """Each read names every stream of its reader's offices, and Redis and the process pay
    for each name at every read: on one server a province's offices are spread over
    readers of OFFICES_PER_READER offices, and the events of an office of each arrive."""
    store = QueueStore(r)
    hub = Hub(store, block_ms=LONG_BLOCK_MS)
    slugs = [f"xa-{i:03d}" for i in range(OFFICES_PER_READER * 2 + 10)]
    try:
        for slug in slugs:
            await hub.watch(slug)
        assert [len(offices) for _, offices in hub._groups.values()] == [
            OFFICES_PER_READER, OFFICES_PER_READER, 10
        ]  # fmt: skip
        assert len(hub._readers) == 3
        watched = [slugs[0], slugs[OFFICES_PER_READER + 3], slugs[-1]]
        subs = [await hub.subscribe(slug) for slug in watched]
        await asyncio.sleep(0.2)  # every reader blocked in XREAD
        for n in range(1, 4):
            for i, slug in enumerate(watched):
                await store.append_event(slug, "test", {"n": n * 10 + i})
        for i, sub in enumerate(subs):
            assert await numbers(sub, 3) == [10 + i, 20 + i, 30 + i]
            assert sub.queue.empty()
    finally:
        await hub.close()


async def test_a_burst_longer_than_one_read_arrives_whole_and_in_order(r: Any) -> None:
    """While events keep coming the reader reads without blocking, on the shared connection
    (`Hub._read`); a burst of more events than one read takes (500) exercises that path."""
    store = QueueStore(r)
    hub = Hub(store, block_ms=LONG_BLOCK_MS)
    try:
        sub = await hub.subscribe("phuong-ba-dinh")
        await asyncio.sleep(0.2)
        async with r.pipeline(transaction=False) as p:
            for n in range(1, 1301):
                p.xadd(keys.events("phuong-ba-dinh"), {"type": "test", "data": f'{{"n": {n}}}'})
            await p.execute()
        assert await numbers(sub, 1300) == list(range(1, 1301))
        # Caught up, it blocks again, and a lone event still arrives at once.
        await asyncio.sleep(0.2)
        await store.append_event("phuong-ba-dinh", "test", {"n": 1301})
        assert await numbers(sub, 1) == [1301]
        assert sub.queue.empty()
    finally:
        await hub.close()


async def test_without_sockets_a_hub_hears_changes_but_reads_no_events(
    r: Any, config: config_mod.Config
) -> None:
    """Every process follows every office's changes; an office's events (a ticket each)
    only where a socket wants them."""
    store = QueueStore(r)
    hub = Hub(store, block_ms=LONG_BLOCK_MS)
    heard: list[Event] = []

    async def listener(event: Event) -> None:
        heard.append(event)

    hub.listen("office.config_changed", listener)
    try:
        await hub.watch(OFFICE)
        await asyncio.sleep(0.2)
        for n in range(3):
            await store.append_event(OFFICE, "ticket.issued", {"n": n})
        registry = OfficeRegistry(config, OfficeSettings(r))
        await registry.save_table(OFFICE, dict(registry.get(OFFICE).raw), by="hoa")  # type: ignore[union-attr]
        for _ in range(100):
            if heard:
                break
            await asyncio.sleep(0.02)
        assert [(e.type, e.office, e.data["by"]) for e in heard] == [
            ("office.config_changed", OFFICE, "hoa")
        ]
        assert set(hub.cursors) == {keys.changes(OFFICE)}
    finally:
        await hub.close()


async def test_a_change_reaches_the_listeners_before_the_sockets(
    r: Any, config: config_mod.Config
) -> None:
    """A board reloads the office when it hears of a change, perhaps from this process:
    by then this process has reloaded it too."""
    hub = Hub(QueueStore(r), block_ms=LONG_BLOCK_MS)
    order: list[str] = []

    async def listener(event: Event) -> None:
        await asyncio.sleep(0.05)  # a reload takes a round trip to Redis
        order.append("listener")

    hub.listen("office.config_changed", listener)
    try:
        sub = await hub.subscribe(OFFICE)
        await asyncio.sleep(0.2)
        registry = OfficeRegistry(config, OfficeSettings(r))
        await registry.save_table(OFFICE, dict(registry.get(OFFICE).raw), by="hoa")  # type: ignore[union-attr]
        out = await asyncio.wait_for(sub.queue.get(), 2)
        assert isinstance(out, Outgoing) and out.event.type == "office.config_changed"
        order.append("socket")
        assert order == ["listener", "socket"]
    finally:
        await hub.close()


async def test_events_follow_the_sockets_of_an_office(r: Any) -> None:
    """The office's last socket leaving stops the reading of its events; the next socket
    gets every event after its subscription, none from before."""
    store = QueueStore(r)
    hub = Hub(store, block_ms=LONG_BLOCK_MS)
    try:
        first = await hub.subscribe(OFFICE)
        await asyncio.sleep(0.2)
        await store.append_event(OFFICE, "test", {"n": 1})
        assert await numbers(first, 1) == [1]
        hub.unsubscribe(first)
        assert keys.events(OFFICE) not in hub.cursors
        await store.append_event(OFFICE, "test", {"n": 2})
        await asyncio.sleep(0.2)
        second = await hub.subscribe(OFFICE)
        for n in (3, 4):
            await store.append_event(OFFICE, "test", {"n": n})
        assert await numbers(second, 2) == [3, 4]
        assert second.queue.empty() and first.queue.empty()
    finally:
        await hub.close()


async def test_a_first_socket_that_could_not_start_the_reading_leaves_no_trace(r: Any) -> None:
    """Redis failing as an office's first socket arrives: that socket is refused (its
    board reconnects), and the next one starts the reading of the office's events."""

    class Failing(QueueStore):
        failures = 1

        async def last_id(self, stream: str) -> str:
            if stream == keys.events(OFFICE) and self.failures:
                self.failures -= 1
                raise redis.ConnectionError("Redis is restarting")
            return await super().last_id(stream)

    store = Failing(r)
    hub = Hub(store, block_ms=LONG_BLOCK_MS)
    try:
        with pytest.raises(redis.ConnectionError):
            await hub.subscribe(OFFICE)
        assert hub.clients() == 0
        sub = await hub.subscribe(OFFICE)
        await store.append_event(OFFICE, "test", {"n": 7})
        assert await numbers(sub, 1) == [7]
    finally:
        await hub.close()


class FlakyReads:
    """GroupReader.read failing with a timeout while `failing` is set (as a blocking read
    on a busy machine does), counting the reads tried."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.failing = True
        self.tries = 0
        real = GroupReader.read

        async def read(reader: GroupReader, *args: Any, **kwargs: Any) -> Any:
            self.tries += 1
            if self.failing:
                raise redis.TimeoutError("Timeout reading from /run/redis.sock")
            return await real(reader, *args, **kwargs)

        monkeypatch.setattr(GroupReader, "read", read)


async def until(check: Any, what: str) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def hub_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "sothutu.hub" and r.levelno >= level
    ]


async def test_a_read_timeout_that_recovers_is_one_info_line(
    r: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "sothutu.hub")
    flaky = FlakyReads(monkeypatch)
    store = QueueStore(r)
    hub = Hub(store, block_ms=LONG_BLOCK_MS)
    hub.retry_s = 0.01
    try:
        sub = await hub.subscribe(OFFICE)
        await until(lambda: flaky.tries >= 3, "three failed reads")
        flaky.failing = False
        await store.append_event(OFFICE, "test", {"n": 1})
        assert await numbers(sub, 1) == [1]  # nothing lost: the read resumed at its cursor
    finally:
        await hub.close()
    assert hub_lines(caplog, logging.INFO) == [
        "event stream read failed (Timeout reading from /run/redis.sock); retrying"
    ]


async def test_read_failures_that_last_are_one_warning_and_their_end_is_said(
    r: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "sothutu.hub")
    flaky = FlakyReads(monkeypatch)
    store = QueueStore(r)
    hub = Hub(store, block_ms=LONG_BLOCK_MS)
    hub.retry_s, hub.warn_after_s = 0.01, 0.2
    try:
        sub = await hub.subscribe(OFFICE)
        await until(lambda: hub_lines(caplog, logging.WARNING), "the warning")
        tries = flaky.tries
        await until(lambda: flaky.tries >= tries + 5, "five more failed reads")
        flaky.failing = False
        await store.append_event(OFFICE, "test", {"n": 1})
        assert await numbers(sub, 1) == [1]
    finally:
        await hub.close()
    [warning] = hub_lines(caplog, logging.WARNING)  # one, however many reads failed
    assert re.match(f"event stream reads of {OFFICE} have failed for [0-9]+ s \\(", warning)
    assert "screens served by this process get no live events" in warning
    first, *_, last = hub_lines(caplog, logging.INFO)
    assert first.endswith("; retrying")
    assert last.startswith(f"event stream reads of {OFFICE} work again after")
    assert len(hub_lines(caplog, logging.INFO)) == 3


@pytest.mark.parametrize(
    ("etype", "data", "public"),
    [
        (
            "ticket.called",
            {"id": "o.abc", "number": "A001", "counter": 2},
            {"number": "A001", "counter": 2},
        ),
        ("office.config_changed", {"by": "hoa", "what": "fields"}, {"what": "fields"}),
        ("board.message", {"by": "hoa", "text": "Nghỉ trưa"}, {"text": "Nghỉ trưa"}),
        ("counter.opened", {"counter": 1, "current": "o.abc"}, {"counter": 1}),
    ],
)
def test_public_screens_get_no_ticket_ids_or_logins(
    etype: str, data: dict[str, Any], public: dict[str, Any]
) -> None:
    assert redact({"type": etype, "data": data})["data"] == public
