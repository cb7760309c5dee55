"""The WebSocket hub of one server process: one blocking reader of the office streams that
have listeners here, fanning each event out to the local clients.

Every process runs its own hub against the same Redis, so any process can serve any screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from queue_server.store.queue import Event, QueueStore

log = logging.getLogger("sothutu.hub")
QUEUE_LIMIT = 2000


def redact(message: dict[str, Any]) -> dict[str, Any]:
    """The public form of a message, for screens without a token: ticket ids (which let
    their holder cancel a ticket) are left out, numbers and counters stay."""
    data = message.get("data")
    if not isinstance(data, dict):
        return message
    etype = message.get("type", "")
    data = dict(data)
    if etype.startswith("ticket."):
        data.pop("id", None)
    elif etype.startswith("counter."):
        data.pop("current", None)
    elif etype == "snapshot":
        data["lanes"] = {
            lane: [{k: v for k, v in t.items() if k != "id"} for t in items]
            for lane, items in data.get("lanes", {}).items()
        }
        data["counters"] = [
            {
                **{k: v for k, v in c.items() if k not in ("current", "ticket")},
                "ticket": (
                    {k: v for k, v in c["ticket"].items() if k != "id"} if c.get("ticket") else None
                ),
            }
            for c in data.get("counters", [])
        ]
        data["recent_calls"] = [
            {k: v for k, v in call.items() if k != "id"} for call in data.get("recent_calls", [])
        ]
    return {**message, "data": data}


@dataclass(eq=False)
class Outgoing:
    """One event, serialised once for all the clients that get it."""

    event: Event
    _full: str | None = None
    _public: str | None = None

    def text(self, public: bool) -> str:
        if public:
            if self._public is None:
                self._public = json.dumps(redact(self.event.to_json()), ensure_ascii=False)
            return self._public
        if self._full is None:
            self._full = json.dumps(self.event.to_json(), ensure_ascii=False)
        return self._full


@dataclass(eq=False)
class Subscription:
    office: str
    queue: asyncio.Queue[Outgoing | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )
    overflowed: bool = False


Listener = Callable[[Event], Awaitable[None]]


class Hub:
    def __init__(
        self, store: QueueStore, block_ms: int = 5000, listeners: Sequence[Listener] = ()
    ) -> None:
        self.store = store
        self.block_ms = block_ms
        # Called for every event of every watched office, before it reaches the sockets
        # (e.g. to reload an office whose settings a manager changed).
        self.listeners = list(listeners)
        self.subs: dict[str, set[Subscription]] = {}
        self.cursors: dict[str, str] = {}
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    async def watch(self, office: str) -> None:
        """Read the office's stream from now on, with or without sockets listening."""
        async with self._lock:
            await self._watch(office)

    async def _watch(self, office: str) -> None:
        if office not in self.cursors:
            self.cursors[office] = await self.store.last_event_id(office)
            self.subs[office] = set()
            self._restart_reader()

    async def subscribe(self, office: str) -> Subscription:
        """Register a socket. Every event after the moment this returns reaches it."""
        async with self._lock:
            sub = Subscription(office)
            await self._watch(office)
            self.subs[office].add(sub)
            return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self.subs.get(sub.office)
        if subs is not None:
            subs.discard(sub)

    def clients(self) -> int:
        return sum(len(s) for s in self.subs.values())

    def _restart_reader(self) -> None:
        # A blocking XREAD reads a fixed set of streams: a new office restarts it.
        if self._reader is not None:
            self._reader.cancel()
        if not self._closed:
            self._reader = asyncio.create_task(self._read(), name="sothutu-hub")

    async def _read(self) -> None:
        while True:
            try:
                events = await self.store.read_events(dict(self.cursors), self.block_ms)
            except asyncio.CancelledError:
                raise
            except redis.RedisError as exc:
                log.warning("event stream read failed (%s); retrying", exc)
                await asyncio.sleep(0.5)
                continue
            for event in events:
                self.cursors[event.office] = event.id
                for listener in self.listeners:
                    try:
                        await listener(event)
                    except Exception:
                        log.exception("listener failed on %s %s", event.type, event.id)
                self._fan_out(event)

    def _fan_out(self, event: Event) -> None:
        out = Outgoing(event)
        for sub in list(self.subs.get(event.office, ())):
            try:
                sub.queue.put_nowait(out)
            except asyncio.QueueFull:
                # A client this far behind resynchronises from a snapshot.
                sub.overflowed = True
                self.unsubscribe(sub)
                with contextlib.suppress(asyncio.QueueFull):
                    sub.queue.get_nowait()
                    sub.queue.put_nowait(None)

    async def close(self) -> None:
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        for subs in self.subs.values():
            for sub in subs:
                with contextlib.suppress(asyncio.QueueFull):
                    sub.queue.put_nowait(None)
