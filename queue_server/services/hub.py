"""The event hub of one server process: blocking readers of the office streams watched
here, handing managers' changes to the listeners and each event to the local clients.

Every process runs its own hub against the same Redis, so any process can serve any screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis

from queue_server.rules.visibility import redact
from queue_server.store import keys
from queue_server.store.queue import Event, QueueStore
from queue_server.store.streams import GroupReader, stream_group

log = logging.getLogger("sothutu.hub")
QUEUE_LIMIT = 2000


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


class ReadFailures:
    """How a reader's failed stream reads are logged: a person reads one line for a read
    that failed and recovered (a timeout on a busy machine, no event lost: the next read
    starts where the last one ended), and a WARNING only when the failures last
    `warn_after_s`, when boards and counters fed by this process go without live events.
    """

    def __init__(self, offices: list[str], warn_after_s: float) -> None:
        self.offices = offices  # the reader's, growing as offices are watched
        self.warn_after_s = warn_after_s
        self.since: float | None = None
        self.count = 0
        self.warned = False

    def failed(self, exc: BaseException, now: float) -> None:
        self.count += 1
        if self.since is None:
            self.since = now
            log.info("event stream read failed (%s); retrying", _why(exc))
        elif not self.warned and now - self.since >= self.warn_after_s:
            self.warned = True
            log.warning(
                "event stream reads of %s have failed for %.0f s (%d tries, last: %s): screens "
                "served by this process get no live events; is Redis reachable?",
                self._group(), now - self.since, self.count, _why(exc),
            )  # fmt: skip
        else:
            log.debug("event stream read failed again (%s)", _why(exc))

    def succeeded(self, now: float) -> None:
        if self.since is None:
            return
        if self.warned:
            log.info("event stream reads of %s work again after %.0f s", self._group(),
                     now - self.since)  # fmt: skip
        else:
            log.debug("event stream read recovered after %.1f s", now - self.since)
        self.since, self.count, self.warned = None, 0, False

    def _group(self) -> str:
        more = len(self.offices) - 3
        return ", ".join(self.offices[:3]) + (f" and {more} more" if more > 0 else "")


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class Hub:
    """Reads the streams of the watched offices: each office's stream of changes, always,
    handing its events to the listeners; and the office's event stream while sockets are
    subscribed to it, fanning its events out to them.

    Every process watches every office (a manager's change must reach them all), but
    reads an office's events only for its own sockets: a province's process serving the
    boards of one centre does not read the tickets of the other hundred, and a process
    with no screen open reads no ticket events at all.

    On one Redis server a reader task reads the streams of up to 25 offices with one
    blocking XREAD, in up to 8 readers (`store.streams.stream_group`: a read costs for
    each stream it names). A Redis Cluster refuses an XREAD over several slots, so there
    it runs one reader per slot (in practice one per office, as offices rarely share a
    slot; an office's two streams share its slot). Each stream's events come from
    one reader, in stream order, once; a change reaches the listeners before the sockets
    hear of it; events of different offices are not ordered among themselves.

    A reader is never cancelled. It stops on a flag, looked at between reads; `close` sets
    it and wakes the blocked reads (`GroupReader.wake`), so shutdown takes a round trip,
    or `block_ms` at most if Redis cannot be reached. A stream read later (an office
    watched, or the first socket of an office) joins its group's reader the same way,
    from the stream position it had then.

    >>> hub = Hub(store)
    >>> sub = await hub.subscribe("phuong-ba-dinh"); out = await sub.queue.get()
    >>> hub.unsubscribe(sub); await hub.close()
    """

    def __init__(self, store: QueueStore, block_ms: int = 5000) -> None:
        self.store = store
        self.block_ms = block_ms
        # By event type: called for each such event on the stream of changes of every
        # watched office, before it reaches the sockets (e.g. to reload an office whose
        # settings a manager changed). On a cluster, listeners may run for events of
        # different offices at the same time.
        self.listeners: dict[str, list[Listener]] = {}
        self.subs: dict[str, set[Subscription]] = {}
        # Stream key -> the last id read: the stream of changes of each watched office,
        # and the event stream of each office with sockets.
        self.cursors: dict[str, str] = {}
        self._changes: set[str] = set()  # the streams of changes among them
        self._groups: dict[int, tuple[GroupReader, list[str]]] = {}
        self._group_of: dict[str, int] = {}  # each watched office's group
        self._readers: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()
        self._closed = False
        self._stopping = asyncio.Event()
        # Failed reads are tried again after `retry_s`; they are a WARNING only once they
        # have lasted `warn_after_s` (three heartbeats of a board by default: it shows
        # itself offline by then).
        self.retry_s = 0.5
        self.warn_after_s = 30.0

    def listen(self, event_type: str, listener: Listener) -> None:
        """Call `listener` with every change of this type, in stream order."""
        self.listeners.setdefault(event_type, []).append(listener)

    async def watch(self, office: str) -> None:
        """Follow the office's changes from now on, with or without sockets. `keys.PROVINCE`
        is watched the same way: its stream of changes is the list of offices' (an office
        added, closed, reopened)."""
        async with self._lock:
            await self._watch(office)

    async def _watch(self, office: str) -> None:
        changes = keys.changes(office)
        if changes in self.cursors or self._closed:
            return
        self.cursors[changes] = await self.store.last_id(changes)
        self._changes.add(changes)
        self.subs.setdefault(office, set())
        group = stream_group(self.store.r, office, len(self._group_of))
        self._group_of[office] = group
        if group in self._groups:
            reader, offices = self._groups[group]
            offices.append(office)
            await self._wake(reader)
            return
        reader, offices = GroupReader(self.store.r, office), [office]
        self._groups[group] = (reader, offices)
        self._readers.append(
            asyncio.create_task(self._read(reader, offices), name=f"sothutu-hub-{group}")
        )

    @staticmethod
    async def _wake(reader: GroupReader) -> None:
        with contextlib.suppress(redis.RedisError):  # else it reads the stream within block_ms
            await reader.wake()

    async def subscribe(self, office: str) -> Subscription:
        """Register a socket. Every event after the moment this returns reaches it."""
        async with self._lock:
            sub = Subscription(office)
            await self._watch(office)
            subs = self.subs[office]
            first = not subs
            subs.add(sub)
            if self._closed:
                sub.queue.put_nowait(None)  # shutting down: the client reconnects elsewhere
            elif first:
                # The office's first socket here: read its events from now on.
                stream = keys.events(office)
                try:
                    self.cursors[stream] = await self.store.last_id(stream)
                except BaseException:
                    subs.discard(sub)  # else the next socket would take it as read
                    raise
                await self._wake(self._groups[self._group_of[office]][0])
            return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self.subs.get(sub.office)
        if subs is None:
            return
        subs.discard(sub)
        if not subs:  # its last socket here: stop reading its events
            self.cursors.pop(keys.events(sub.office), None)

    def drop(self, office: str) -> None:
        """Ends the office's subscriptions here (an office closed): its sockets close with
        1001 and a reconnecting client learns why."""
        for sub in list(self.subs.get(office, ())):
            self.unsubscribe(sub)
            if sub.queue.full():
                sub.queue.get_nowait()  # it resynchronises on reconnecting anyway
            sub.queue.put_nowait(None)

    def clients(self) -> int:
        return sum(len(s) for s in self.subs.values())

    def _streams(self, offices: list[str]) -> dict[str, str]:
        """What one read of a group takes: the streams of changes first, so that within a
        read a change reaches the listeners before its copy reaches the sockets."""
        cursors = self.cursors
        out = {k: cursors[k] for k in map(keys.changes, offices) if k in cursors}
        out.update((k, cursors[k]) for k in map(keys.events, offices) if k in cursors)
        return out

    async def _read(self, reader: GroupReader, offices: list[str]) -> None:
        # `offices` grows as the group's offices are watched: each read takes them all.
        # While events keep coming, the next read does not block: it shares the multiplexed
        # connection, a fraction of the cost of a blocking read on a connection of its own,
        # which under load would bring back only a few events each (docs/BENCHMARKS.md,
        # session 3). Only a read that finds nothing new is followed by a blocking one.
        busy = False
        failures = ReadFailures(offices, self.warn_after_s)
        while not self._closed:
            try:
                entries = await reader.read(self._streams(offices), None if busy else self.block_ms)
                busy = bool(entries)
            except redis.RedisError as exc:
                if self._closed:
                    return
                failures.failed(exc, time.monotonic())
                await self._pause(self.retry_s)
                continue
            except Exception:
                # A reader that died would leave the boards of its offices without events.
                log.exception("event stream reader failed; starting again")
                await self._pause(1.0)
                continue
            failures.succeeded(time.monotonic())
            events: list[Event] = []
            for stream, event in entries:
                if stream in self.cursors:  # else its last socket left meanwhile
                    self.cursors[stream] = event.id
                if stream in self._changes:
                    await self._changed(event)
                else:
                    events.append(event)
            for event in events:
                self._fan_out(event)

    async def _changed(self, event: Event) -> None:
        for listener in self.listeners.get(event.type, ()):
            try:
                await listener(event)
            except Exception:
                log.exception("listener failed on %s %s", event.type, event.id)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _fan_out(self, event: Event) -> None:
        subs = self.subs.get(event.office)
        if not subs:
            return
        out = Outgoing(event)
        for sub in list(subs):
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
        """Stops the readers and ends every subscription (the sockets close with 1001)."""
        self._closed = True
        self._stopping.set()
        readers = [reader for reader, _ in self._groups.values()]
        await asyncio.gather(*(r.wake() for r in readers), return_exceptions=True)
        if self._readers:
            _, late = await asyncio.wait(self._readers, timeout=self.block_ms / 1000 + 2)
            # Only a read stuck in the network gets here (Redis gone mid-answer).
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1)
        await asyncio.gather(*(r.discard() for r in readers), return_exceptions=True)
        for subs in self.subs.values():
            for sub in subs:
                with contextlib.suppress(asyncio.QueueFull):
                    sub.queue.put_nowait(None)
