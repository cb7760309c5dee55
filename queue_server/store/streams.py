"""Blocking reads of office streams (events, changes) for the WebSocket hub.

One XREAD may read several streams only if they are in one slot: on a single server every
office's stream is, on a Redis Cluster only offices whose slugs hash alike. `stream_group`
says which offices one reader takes together.

A reader also blocks on a stream of its own (`keys.hub_wake`), so that the hub can cut a
read short by adding to it: to stop at once at shutdown, or to read an office it has just
begun to watch. Cancelling the read instead could lose the connection mid-answer.
"""

from __future__ import annotations

import secrets
from typing import Any

from redis.crc import key_slot

from queue_server.store import keys
from queue_server.store.cluster import is_cluster
from queue_server.store.multiplex import MultiplexedRedis
from queue_server.store.queue import Event

WAKE_TTL_MS = 60_000
# On a single server, how many offices one reader takes, and how many readers a process
# runs at most. Every read names each stream of its group, and Redis and the client pay
# for each name at every read: with one reader for a whole province, every event cost in
# proportion to the number of offices (docs/BENCHMARKS.md, "A province on one process").
# Each reader holds a connection of the pool (SOTHUTU_REDIS_POOL, 64 by default) while it
# waits.
OFFICES_PER_READER = 25
MAX_READERS = 8


def stream_group(client: object, office: str, order: int) -> int:
    """The group of the reader that reads an office, whose streams one XREAD may read with
    the others of its group: on a cluster, the offices of one slot; on a single server,
    OFFICES_PER_READER offices in the order they are watched (`order`: how many were
    before), in at most MAX_READERS groups taken in turn."""
    if not is_cluster(client):
        return (order // OFFICES_PER_READER) % MAX_READERS
    return key_slot(keys.events(office).encode())


def _slug(stream: str) -> str:
    return str(stream).split("{", 1)[1].split("}", 1)[0]


def _event(eid: str, slug: str, flat: list[str]) -> Event:
    """An entry as the store appends them, [type, T, data, D], read without a dict."""
    if len(flat) == 4 and flat[0] == "type" and flat[2] == "data":
        return Event(eid, flat[1], slug, flat[3] or "{}")
    f = dict(zip(flat[::2], flat[1::2], strict=True))
    return Event(eid, f.get("type", "unknown"), slug, f.get("data") or "{}")


class GroupReader:
    """Reads the event streams of one group of offices, waiting up to `block_ms`.

    >>> reader = GroupReader(client, "phuong-ba-dinh")
    >>> events = await reader.read({"sq:{phuong-ba-dinh}:events": "0-0"}, block_ms=5000)
    >>> await reader.wake()   # from another task: that read returns now
    """

    def __init__(self, client: Any, first_office: str) -> None:
        self.r = client
        self.wake_key = keys.hub_wake(first_office, secrets.token_hex(6))
        self._mux = client.multiplexer() if isinstance(client, MultiplexedRedis) else None
        # A blocking read must be answered before the connection's read times out (redis-py
        # 8 reads with a 5 s timeout by default, as long as the hub's usual block): a read
        # that times out is dropped with its connection and logged. 80% leaves the margin.
        timeout = client.get_connection_kwargs().get("socket_timeout")
        self._block_cap_ms = int(timeout * 800) if timeout else None
        # Its own cursor rather than "$": a wake-up between two reads is not missed.
        self._woken = "0-0"

    async def read(
        self, cursors: dict[str, str], block_ms: int | None, count: int = 500
    ) -> list[tuple[str, Event]]:
        """The entries after each stream's cursor ({stream key: last id seen}) with the
        stream each came from, oldest first per stream, streams in the order given; empty
        after `block_ms` without any, or when woken. With `block_ms` None it answers at
        once, and goes through the shared multiplexed connection rather than a connection
        of its own, which costs a fraction (`store.multiplex`)."""
        streams = {**cursors, self.wake_key: self._woken}
        out: list[tuple[str, Event]] = []
        if block_ms is None and self._mux is not None:
            # The raw RESP2 answer, [[stream, [[id, [field, value, ...]], ...]], ...]:
            # redis-py's reply callback would build a dict per entry first.
            raw = await self._mux.execute(
                "XREAD", "COUNT", count, "STREAMS", *streams, *streams.values(), safe=True
            )
            for stream, entries in raw or ():
                if stream == self.wake_key:
                    self._woken = entries[-1][0]
                    continue
                slug = _slug(stream)
                for eid, flat in entries:
                    out.append((stream, _event(eid, slug, flat)))
            return out
        if block_ms is not None and self._block_cap_ms is not None:
            block_ms = max(1, min(block_ms, self._block_cap_ms))
        res = await self.r.xread(streams, block=block_ms, count=count)
        for stream, entries in res or []:
            if stream == self.wake_key:
                self._woken = str(entries[-1][0])
                continue
            slug = _slug(stream)
            out.extend(
                (stream, Event(str(eid), f.get("type", "unknown"), slug, f.get("data") or "{}"))
                for eid, f in entries
            )
        return out

    async def wake(self) -> None:
        async with self.r.pipeline(transaction=True) as p:
            p.xadd(self.wake_key, {"wake": "1"}, maxlen=1)
            p.pexpire(self.wake_key, WAKE_TTL_MS)
            await p.execute()

    async def discard(self) -> None:
        await self.r.delete(self.wake_key)
