"""The queue store: tickets, counters and the office event stream in Redis.

Every change is one Lua script (see `lua/`); reads are pipelines. Methods take plain
values: the services decide, the store applies atomically.
"""

from __future__ import annotations

import binascii
import functools
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import redis.asyncio as aredis

from queue_server.errors import Conflict, NotFound, Unavailable
from queue_server.office import Counter, Field, Office
from queue_server.rules.calling import CLASSES, Klass, LaneHeads, Waiting
from queue_server.store import keys
from queue_server.store.messages import BoardMessages
from queue_server.store.records import CounterState, Ticket
from queue_server.store.scripts import ReplicaAck, Scripts, Template

NO_IDEMPOTENCY = "-"


class Issued(NamedTuple):
    ticket: Ticket
    event: str
    new_day: bool
    waiting: dict[Klass, int]
    rank: int
    samples_ms: list[float]
    open_counters: int


@dataclass(frozen=True)
class Event:
    """An entry of an office stream. Its data is decoded on first use: a process reads every
    event of the offices it watches, but most are only passed on or not needed at all."""

    id: str
    type: str
    office: str
    raw: str = "{}"

    @functools.cached_property
    def data(self) -> dict[str, Any]:
        value = json.loads(self.raw or "{}")
        return _normalise(self.type, value if isinstance(value, dict) else {})

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "office": self.office, "data": self.data}


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def new_token() -> str:
    """96 random bits, URL-safe: what makes a ticket id (`<office slug>.<token>`, the slug
    locating the ticket's keys) unguessable."""
    return binascii.b2a_base64(os.urandom(12), newline=False).translate(_URLSAFE).decode()


@functools.lru_cache(maxsize=1024)
def _issue_template(
    slug: str, field: str, lane: str, klass: str, day: str,
    first: int, last: int, prefix: str, priority: str,
) -> Template:  # fmt: skip
    """The keys and arguments of `issue.lua` that are the same for every ticket of an
    office, field, lane, class and day: built and encoded once."""
    ks = (
        keys.sequence(slug, day, field),
        keys.queue(slug, lane, klass),
        keys.events(slug),
        keys.day_tickets(slug, day),
        keys.current_day(slug),
        f"{keys.office(slug)}:order",
        *(keys.queue(slug, lane, k) for k in CLASSES),
        keys.service_times(slug, field),
        keys.open_counters(slug, field),
        keys.walk_in_gate(slug),
    )
    width = max(3, len(str(last)))
    return Template(ks, (day, first, last, prefix, width, field, priority, klass, slug, lane))


def split_ticket_id(ticket_id: str) -> tuple[str, str]:
    slug, sep, token = ticket_id.partition(".")
    if not sep or not slug or len(token) < 8 or len(ticket_id) > 120:
        raise NotFound(f"no ticket {ticket_id!r}", text_key="error.ticket.not_found")
    return slug, token


def lanes_of(office: Office) -> list[str]:
    return [keys.counter_lane(c.number) for c in office.counters] + [f.code for f in office.fields]


def counter_lanes(counter: Counter) -> list[str]:
    """The lanes a counter calls from, in preference order."""
    return [keys.counter_lane(counter.number), *counter.fields]


def _normalise(etype: str, data: dict[str, Any]) -> dict[str, Any]:
    if etype.startswith("ticket.") and "id" in data:
        return Ticket.from_hash(data).to_json()
    if etype.startswith("counter.") and "number" in data:
        return CounterState.from_hash(int(data["number"]), data).to_json()
    return data


def _list(value: Any) -> list[Any]:
    # cjson encodes an empty Lua table as {}.
    return value if isinstance(value, list) else []


class QueueStore:
    """`replicas`: every script's answer waits for that many replicas (`ReplicaAck`)."""

    def __init__(self, client: aredis.Redis, replicas: ReplicaAck | None = None) -> None:
        # Typed loosely: the client decodes responses to str, which its stubs cannot say.
        self.r: Any = client
        self.scripts = Scripts(client, replicas)
        # The boards' message travels with the queue's snapshot.
        self.messages = BoardMessages(client)

    @staticmethod
    def _idem(slug: str, key: str | None) -> tuple[str, str]:
        if key is None:
            return keys.idempotency(slug, NO_IDEMPOTENCY), "0"
        return keys.idempotency(slug, key), "1"

    async def issue(
        self,
        office: Office,
        field: Field,
        *,
        lane: str,
        priority: str | None,
        klass: Klass,
        now_ms: int,
        day: str,
        due_ms: int | None = None,
        idempotency_key: str | None = None,
        walk_in: bool = False,
    ) -> Issued:
        """A walk-in ticket is refused (409 walk_in_closed) once the office's walk-in gate
        closed for the day, in the same script that would issue it."""
        slug = office.slug
        token = new_token()
        ticket_id = f"{slug}.{token}"
        idem, use = self._idem(slug, idempotency_key)
        template = _issue_template(
            slug, field.code, lane, klass, day,
            field.first_number, field.last_number, field.prefix, priority or "",
        )  # fmt: skip
        due = "" if due_ms is None else due_ms
        res = await self.scripts.run_template(
            "issue",
            template,
            (idem, keys.ticket(slug, token)),
            (use, now_ms, ticket_id, due, "1" if walk_in else "0"),
        )
        if isinstance(res, str):  # issued now: the words issue.lua answers, in order
            words = res.split(" ")
            number, order, event, newday, appts, prio, normal, rank, open_, *samples = words
            ticket = Ticket.new(
                ticket_id, slug, number, field.code, lane, priority, klass, now_ms, int(order),
                day, due_ms,
            )  # fmt: skip
            return Issued(
                ticket=ticket,
                event=event,
                new_day=newday == "1",
                waiting={"appointment": int(appts), "priority": int(prio), "normal": int(normal)},
                rank=int(rank),
                samples_ms=[float(s) for s in samples],
                open_counters=int(open_),
            )
        # Issued earlier under this idempotency key: the answer kept then, in JSON.
        counts = res["waiting"]
        return Issued(
            ticket=Ticket.from_hash(res["ticket"]),
            event=res["event"],
            new_day=bool(res["newday"]),
            waiting={"appointment": counts[0], "priority": counts[1], "normal": counts[2]},
            rank=int(res["rank"]),
            samples_ms=[float(s) for s in _list(res["samples"])],
            open_counters=int(res["open"]),
        )

    async def replay(self, slug: str, idempotency_key: str | None) -> Ticket | None:
        """The ticket a request with this idempotency key already answered with, if any."""
        if idempotency_key is None:
            return None
        raw = await self.r.get(keys.idempotency(slug, idempotency_key))
        result = json.loads(raw) if raw else None
        if not result or "ticket" not in result:
            return None
        return Ticket.from_hash(result["ticket"])

    async def ticket(self, ticket_id: str) -> Ticket:
        slug, token = split_ticket_id(ticket_id)
        h = await self.r.hgetall(keys.ticket(slug, token))
        if not h:
            raise NotFound(f"no ticket {ticket_id!r}", text_key="error.ticket.not_found")
        return Ticket.from_hash(h)

    async def day_ticket_ids(self, slug: str, day: str) -> list[str]:
        """The ids of every ticket issued in the office day `day`, in issue order."""
        ids: list[str] = await self.r.zrange(keys.day_tickets(slug, day), 0, -1)
        return ids

    async def tickets(self, slug: str, ids: Sequence[str]) -> list[Ticket]:
        async with self.r.pipeline(transaction=False) as p:
            for tid in ids:
                p.hgetall(keys.ticket(slug, split_ticket_id(tid)[1]))
            hashes = await p.execute()
        return [Ticket.from_hash(h) for h in hashes if h]

    async def counter(self, slug: str, number: int) -> CounterState:
        return CounterState.from_hash(number, await self.r.hgetall(keys.counter(slug, number)))

    async def counter_and_heads(
        self, slug: str, number: int, lanes: Sequence[str]
    ) -> tuple[CounterState, list[tuple[str, LaneHeads]]]:
        """The counter's state and the first waiting ticket of each class of its lanes."""
        async with self.r.pipeline(transaction=True) as p:
            p.hgetall(keys.counter(slug, number))
            for lane in lanes:
                for k in CLASSES:
                    p.zrange(keys.queue(slug, lane, k), 0, 0, withscores=True)
            res = await p.execute()
        state = CounterState.from_hash(number, res[0])
        out: list[tuple[str, LaneHeads]] = []
        i = 1
        for lane in lanes:
            heads: dict[Klass, Waiting | None] = {}
            for k in CLASSES:
                head = res[i]
                i += 1
                heads[k] = Waiting(head[0][0], k, float(head[0][1])) if head else None
            out.append((lane, heads))
        return state, out

    async def waiting(self, slug: str, lanes: Sequence[str]) -> dict[str, list[Waiting]]:
        """Every waiting ticket per lane (unordered across classes)."""
        async with self.r.pipeline(transaction=True) as p:
            for lane in lanes:
                for k in CLASSES:
                    p.zrange(keys.queue(slug, lane, k), 0, -1, withscores=True)
            res = await p.execute()
        out: dict[str, list[Waiting]] = {}
        i = 0
        for lane in lanes:
            items: list[Waiting] = []
            for k in CLASSES:
                items.extend(Waiting(m, k, float(s)) for m, s in res[i])
                i += 1
            out[lane] = items
        return out

    async def call(
        self,
        slug: str,
        ticket: Waiting,
        lane: str,
        counter: int,
        streak: int,
        now_ms: int,
        idempotency_key: str | None = None,
    ) -> Ticket:
        idem, use = self._idem(slug, idempotency_key)
        res = await self.scripts.run(
            "call",
            [
                idem,
                keys.ticket(slug, split_ticket_id(ticket.id)[1]),
                keys.counter(slug, counter),
                keys.events(slug),
                keys.recent_calls(slug),
                keys.queue(slug, lane, ticket.klass),
            ],
            [use, now_ms, counter, streak, lane, ticket.klass],
        )
        return Ticket.from_hash(res["ticket"])

    async def step(
        self,
        ticket: Ticket,
        action: str,
        now_ms: int,
        counter: int | None,
        idempotency_key: str | None = None,
    ) -> Ticket:
        slug = ticket.office
        idem, use = self._idem(slug, idempotency_key)
        holder = ticket.counter if ticket.counter is not None else 0
        res = await self.scripts.run(
            "step",
            [
                idem,
                keys.ticket(slug, split_ticket_id(ticket.id)[1]),
                keys.counter(slug, holder),
                keys.events(slug),
                keys.recent_calls(slug),
                keys.service_times(slug, ticket.field),
            ],
            [use, now_ms, action, "" if counter is None else counter],
        )
        return Ticket.from_hash(res["ticket"])

    async def requeue(
        self,
        ticket: Ticket,
        action: str,
        now_ms: int,
        *,
        lane: str = "",
        field: str = "",
        idempotency_key: str | None = None,
    ) -> Ticket:
        slug = ticket.office
        idem, use = self._idem(slug, idempotency_key)
        holder = ticket.counter if ticket.counter is not None else 0
        target = keys.queue(slug, lane or ticket.lane, ticket.klass)
        res = await self.scripts.run(
            "requeue",
            [
                idem,
                keys.ticket(slug, split_ticket_id(ticket.id)[1]),
                keys.events(slug),
                keys.queue(slug, ticket.lane, ticket.klass),
                keys.counter(slug, holder),
                target,
            ],
            [use, now_ms, action, lane, field, ticket.score, ticket.status],
        )
        return Ticket.from_hash(res["ticket"])

    async def counter_action(
        self,
        office: Office,
        counter: Counter,
        action: str,
        now_ms: int,
        staff: str = "",
        idempotency_key: str | None = None,
        force: bool = False,
    ) -> CounterState:
        """Refused with 409 `last_counter` (the script's `fields`: index in `counter.fields`
        and how many wait; `own`: how many wait in the counter's own lane) when pausing or
        closing leaves a field with people waiting and no open counter, or tickets sent to
        this counter, unless `force`."""
        slug = office.slug
        idem, use = self._idem(slug, idempotency_key)
        res = await self.scripts.run(
            "counter",
            [
                idem,
                keys.counter(slug, counter.number),
                keys.events(slug),
                *(keys.open_counters(slug, f) for f in counter.fields),
                *(keys.queue(slug, f, k) for f in counter.fields for k in CLASSES),
                *(keys.queue(slug, keys.counter_lane(counter.number), k) for k in CLASSES),
            ],
            [
                use,
                now_ms,
                action,
                counter.number,
                staff,
                "1" if force else "0",
                len(counter.fields),
            ],
        )
        return CounterState.from_hash(counter.number, res["counter"])

    async def sync_open_counters(self, office: Office) -> None:
        """The open-counter sets as the office's counters serve its fields now (after a
        manager's change); idempotent."""
        slug = office.slug
        serving = [
            ",".join(str(j + 1) for j, c in enumerate(office.counters) if f.code in c.fields)
            for f in office.fields
        ]
        await self.scripts.run(
            "open_sets",
            [
                keys.idempotency(slug, NO_IDEMPOTENCY),
                *(keys.open_counters(slug, f.code) for f in office.fields),
                *(keys.counter(slug, c.number) for c in office.counters),
            ],
            ["0", len(office.fields), len(office.counters), *serving,
             *(c.number for c in office.counters)],
        )  # fmt: skip

    async def rollover(self, office: Office, day: str, now_ms: int) -> int:
        slug = office.slug
        queues = [keys.queue(slug, lane, k) for lane in lanes_of(office) for k in CLASSES]
        # The script gets the hashes of the waiting tickets in KEYS, so they are read first;
        # a ticket queued in between makes it answer 'stale' (rare: read again).
        for _ in range(20):
            async with self.r.pipeline(transaction=False) as p:
                for q in queues:
                    p.zrange(q, 0, -1)
                waiting = sorted({tid for ids in await p.execute() for tid in ids})
            try:
                res = await self.scripts.run(
                    "rollover",
                    [keys.idempotency(slug, NO_IDEMPOTENCY), keys.current_day(slug),
                     keys.events(slug), *queues,
                     *(keys.ticket(slug, split_ticket_id(t)[1]) for t in waiting)],
                    ["0", now_ms, day, slug, len(queues), *waiting],
                )  # fmt: skip
            except Conflict as exc:
                if exc.code != "stale":
                    raise
                continue
            return int(res["expired"])
        raise Unavailable(f"{slug}: the queues kept changing; the day rollover will run again")

    async def state(
        self, office: Office
    ) -> tuple[str, list[CounterState], dict[str, list[Waiting]], list[dict[str, Any]]]:
        """The office's state as of one event id, read in one transaction: last event id,
        counters, waiting tickets per lane, recent calls. A client that applies the events
        after that id to this state misses nothing and sees nothing twice."""
        slug = office.slug
        lanes = lanes_of(office)
        async with self.r.pipeline(transaction=True) as p:
            p.xrevrange(keys.events(slug), count=1)
            for c in office.counters:
                p.hgetall(keys.counter(slug, c.number))
            for lane in lanes:
                for k in CLASSES:
                    p.zrange(keys.queue(slug, lane, k), 0, -1, withscores=True)
            p.lrange(keys.recent_calls(slug), 0, 9)
            res = await p.execute()
        last = str(res[0][0][0]) if res[0] else "0-0"
        n = len(office.counters)
        counters = [
            CounterState.from_hash(c.number, h)
            for c, h in zip(office.counters, res[1 : 1 + n], strict=True)
        ]
        waiting: dict[str, list[Waiting]] = {}
        i = 1 + n
        for lane in lanes:
            items: list[Waiting] = []
            for k in CLASSES:
                items.extend(Waiting(m, k, float(sc)) for m, sc in res[i])
                i += 1
            waiting[lane] = items
        calls = [json.loads(x) for x in res[i]]
        return last, counters, waiting, calls

    async def counters(self, office: Office) -> list[CounterState]:
        async with self.r.pipeline(transaction=False) as p:
            for c in office.counters:
                p.hgetall(keys.counter(office.slug, c.number))
            res = await p.execute()
        return [
            CounterState.from_hash(c.number, h) for c, h in zip(office.counters, res, strict=True)
        ]

    async def recent_calls(self, slug: str, count: int = 10) -> list[dict[str, Any]]:
        raw = await self.r.lrange(keys.recent_calls(slug), 0, count - 1)
        return [json.loads(x) for x in raw]

    async def service_samples(self, slug: str, field: str) -> list[float]:
        return [float(x) for x in await self.r.lrange(keys.service_times(slug, field), 0, -1)]

    async def walk_ins_open(self, slug: str) -> bool:
        """The walk-in gate the issue script checks (the scheduler sets it)."""
        return bool(await self.r.get(keys.walk_in_gate(slug)) != "closed")

    async def open_counts(self, office: Office) -> dict[str, int]:
        async with self.r.pipeline(transaction=False) as p:
            for f in office.fields:
                p.scard(keys.open_counters(office.slug, f.code))
            res = await p.execute()
        return {f.code: int(n) for f, n in zip(office.fields, res, strict=True)}

    # The event stream.

    async def last_event_id(self, slug: str) -> str:
        return await self.last_id(keys.events(slug))

    async def last_id(self, stream: str) -> str:
        """The id of a stream's newest entry; "0-0" for an empty or missing stream."""
        last = await self.r.xrevrange(stream, count=1)
        return str(last[0][0]) if last else "0-0"

    async def first_event_id(self, slug: str) -> str | None:
        first = await self.r.xrange(keys.events(slug), count=1)
        return str(first[0][0]) if first else None

    async def ping(self) -> None:
        await self.r.ping()

    async def load_scripts(self) -> None:
        await self.scripts.load()

    async def events_after(self, slug: str, after: str, count: int = 1000) -> list[Event]:
        raw = await self.r.xrange(keys.events(slug), min=f"({after}", count=count)
        return [self._event(slug, eid, f) for eid, f in raw]

    @staticmethod
    def _event(slug: str, eid: str, fields: dict[str, str]) -> Event:
        return Event(str(eid), fields.get("type", "unknown"), slug, fields.get("data") or "{}")

    async def append_event(self, slug: str, etype: str, data: dict[str, Any]) -> str:
        """For events that change no queue state (configuration, board messages)."""
        eid = await self.r.xadd(
            keys.events(slug),
            {"type": etype, "data": json.dumps(data, ensure_ascii=False)},
            maxlen=1_000_000,
            approximate=True,
        )
        return str(eid)
