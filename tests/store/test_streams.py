"""Reading office streams (store/streams.py): the quick read through the multiplexer and
the blocking one give the same events, whatever protocol redis-py would choose."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server.store import keys
from queue_server.store.connection import EmbeddedRedis, connect
from queue_server.store.queue import QueueStore
from queue_server.store.streams import GroupReader


@pytest.mark.parametrize("query", ["", "?protocol=2"], ids=["default", "resp2"])
async def test_quick_and_blocking_reads_agree(
    r: Any, redis_server: EmbeddedRedis, query: str
) -> None:
    """The client speaks RESP2 whether or not the URL says so (redis-py 8 would say
    HELLO 3): the raw answer of the quick read has that shape."""
    client = connect(redis_server.url() + query)
    try:
        store = QueueStore(client)
        for n in range(5):
            await store.append_event("phuong-ba-dinh", "test", {"n": n, "text": "Hộ tịch"})
        await store.append_event("phuong-hoan-kiem", "other", {"n": 9})
        reader = GroupReader(client, "phuong-ba-dinh")
        ba_dinh, hoan_kiem = keys.events("phuong-ba-dinh"), keys.events("phuong-hoan-kiem")
        cursors = {ba_dinh: "0-0", hoan_kiem: "0-0"}
        quick = await reader.read(cursors, None, count=3)
        blocking = await reader.read(cursors, 100, count=3)
        assert [(s, e.id, e.type, e.office, e.raw) for s, e in quick] == [
            (s, e.id, e.type, e.office, e.raw) for s, e in blocking
        ]
        assert [e.data["n"] for s, e in quick if s == ba_dinh] == [0, 1, 2]
        assert [(e.type, e.office) for s, e in quick if s == hoan_kiem] == [
            ("other", "phuong-hoan-kiem")
        ]
        assert quick[0][1].data["text"] == "Hộ tịch"
        # A wake-up is taken in, not given out as an event; then nothing is new.
        await reader.wake()
        cursors = {k: [e.id for s, e in quick if s == k][-1] for k in cursors}
        rest = await reader.read(cursors, None)
        assert [e.data["n"] for _, e in rest] == [3, 4]
        cursors[ba_dinh] = rest[-1][1].id
        assert await reader.read(cursors, None) == []
        assert await reader.read(cursors, 50) == []
        await reader.discard()
    finally:
        await client.aclose()


async def test_a_blocking_read_ends_before_the_connection_would_time_out(
    r: Any, redis_server: EmbeddedRedis
) -> None:
    """The hub blocks 5 s, as long as redis-py's read timeout: the read is cut to fit inside
    the socket timeout, so an idle office's read answers empty instead of failing."""
    client = connect(redis_server.url() + "?socket_timeout=0.5")
    try:
        reader = GroupReader(client, "phuong-ba-dinh")
        # Uncut, redis-py would raise TimeoutError after 0.5 s of the 5 s block.
        assert await reader.read({keys.events("phuong-ba-dinh"): "0-0"}, 5000) == []
        await reader.discard()
    finally:
        await client.aclose()
