"""Queue use cases: issue, call, serve, transfer; counters; the office snapshot."""

from __future__ import annotations

from typing import Any, NamedTuple

from queue_server.config import Config
from queue_server.errors import BadRequest, Conflict, Localized, NotFound, Text, Unavailable
from queue_server.office import APPOINTMENT, Counter, Field, Office
from queue_server.rules.calling import (
    Klass,
    Waiting,
    calling_order,
    choose_next,
    counter_lane,
    people_ahead,
)
from queue_server.rules.waiting import average_service_s, estimated_wait_s
from queue_server.services.clock import Clock, local_day
from queue_server.services.offices import OfficeRegistry
from queue_server.services.walk_ins import closed_conflict
from queue_server.store.queue import Event, QueueStore, counter_lanes
from queue_server.store.records import CounterState, Ticket
from queue_server.store.scripts import Moved, state_conflict

CALL_ATTEMPTS = 20


def _stream_id(eid: str) -> tuple[int, int]:
    ms, _, seq = eid.partition("-")
    return int(ms), int(seq or 0)


class Placed(NamedTuple):
    """A ticket with its place in line. A tuple: one is made for every ticket issued, and a
    frozen dataclass sets each field through `object.__setattr__`."""

    ticket: Ticket
    position: int | None
    estimated_wait_s: int | None
    # A waiting ticket sent to one counter: {counter, name, status} of that counter, so the
    # citizen is told where they wait and whether that counter is open.
    waiting_at: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        d = self.ticket.to_json()
        d["position"] = self.position
        d["estimated_wait_s"] = self.estimated_wait_s
        d["waiting_at"] = self.waiting_at
        return d


def ticket_office(ticket_id: str) -> str:
    """The office a ticket id names (ids are "office.token"), without looking it up: who may
    act on the ticket is decided before whether it exists."""
    return ticket_id.partition(".")[0]


class QueueService:
    def __init__(
        self,
        config: Config,
        store: QueueStore,
        clock: Clock | None = None,
        offices: OfficeRegistry | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock or Clock()
        self.offices = offices or OfficeRegistry(config)

    # Lookups that turn unknown names into clear 404s.

    def office(self, slug: str, *, closed: bool = False) -> Office:
        """An open office; a closed one answers 410 (`closed`: take it too, for its
        reports)."""
        office = self.offices.find(slug)
        if office is None:
            raise NotFound(text_key="error.office.not_found", params={"slug": slug})
        if not closed and self.offices.is_closed(slug):
            raise self.offices.gone(slug)
        return office

    @staticmethod
    def field(office: Office, code: str) -> Field:
        field = office.field(code)
        if field is None:
            known = ", ".join(f.code for f in office.fields)
            raise NotFound(text_key="error.queue.no_field", params={"code": code, "known": known})
        return field

    @staticmethod
    def lanes(counter: Counter) -> list[str]:
        """The lanes `counter` calls from, in preference order: its own (tickets transferred
        to it), then its fields."""
        return counter_lanes(counter)

    @staticmethod
    def counter(office: Office, number: int) -> Counter:
        counter = office.counter(number)
        if counter is None:
            known = ", ".join(str(c.number) for c in office.counters)
            raise NotFound(
                text_key="error.queue.no_counter", params={"number": number, "known": known}
            )
        return counter

    def day(self, office: Office, now_ms: int | None = None) -> str:
        return local_day(self.clock.now_ms() if now_ms is None else now_ms, office.tz)

    # Tickets.

    async def issue(
        self,
        slug: str,
        field_code: str,
        priority: str | None = None,
        *,
        due_ms: int | None = None,
        idempotency_key: str | None = None,
        walk_in: bool = False,
    ) -> Placed:
        """`walk_in`: a ticket taken at the kiosk or over the API, refused with 409 after the
        office stopped issuing for the day; appointment check-ins pass False."""
        office = self.office(slug)
        field = self.field(office, field_code)
        klass: Klass = "normal"
        if priority is not None:
            if office.priority(priority) is None:
                known = ", ".join(p.code for p in office.priorities if p.code != APPOINTMENT)
                raise BadRequest(
                    text_key="error.queue.priority", params={"priority": priority, "known": known}
                )
            if priority == APPOINTMENT and due_ms is None:
                raise BadRequest(text_key="error.ticket.appointment")
            klass = "appointment" if priority == APPOINTMENT else "priority"
        now = self.clock.now_ms()
        day = self.day(office, now)
        try:
            issued = await self.store.issue(
                office, field, lane=field.code, priority=priority, klass=klass, now_ms=now,
                day=day, due_ms=due_ms, idempotency_key=idempotency_key, walk_in=walk_in,
            )  # fmt: skip
        except Conflict as exc:
            if exc.code != "walk_in_closed":
                raise
            # The script knows only that the gate is closed; the calendar says why and when
            # the citizen can come back.
            raise closed_conflict(office, now) from exc
        if issued.new_day:
            # The first ticket of a day: earlier days' tickets leave the queue, then count.
            await self.store.rollover(office, day, now)
            return await self.place(await self.store.ticket(issued.ticket.id))
        ahead = people_ahead(klass, issued.rank, issued.waiting, office.interleave)
        avg = average_service_s(issued.samples_ms, field.service_minutes)
        return Placed(issued.ticket, ahead, estimated_wait_s(ahead, avg, issued.open_counters))

    async def place(self, ticket: Ticket) -> Placed:
        """A ticket with its current position and estimated wait (when it is waiting)."""
        if ticket.status != "waiting":
            return Placed(ticket, None, None)
        office = self.office(ticket.office)
        field = self.field(office, ticket.field)
        lane = (await self.store.waiting(office.slug, [ticket.lane]))[ticket.lane]
        order = calling_order(lane, office.interleave, self.clock.now_ms())
        ahead = next((i for i, w in enumerate(order) if w.id == ticket.id), len(order))
        samples = await self.store.service_samples(office.slug, field.code)
        open_n = (await self.store.open_counts(office)).get(field.code, 0)
        avg = average_service_s(samples, field.service_minutes)
        wait: int | None = estimated_wait_s(ahead, avg, open_n)
        at = office.counter(int(ticket.lane[1:])) if ticket.lane.startswith("@") else None
        if at is None:
            return Placed(ticket, ahead, wait)
        status = (await self.counter_state(office, at.number)).status
        if status != "open":
            wait = None  # no estimate is honest while the one counter that calls it is not open
        waiting_at = {"counter": at.number, "name": at.name, "status": status}
        return Placed(ticket, ahead, wait, waiting_at)

    async def get(self, ticket_id: str) -> Placed:
        ticket = await self.store.ticket(ticket_id)
        self.office(ticket.office)
        return await self.place(ticket)

    async def ticket(self, ticket_id: str) -> Ticket:
        """The ticket as stored, without its place in the queue (404 if there is none)."""
        return await self.store.ticket(ticket_id)

    async def call_next(
        self, slug: str, number: int, idempotency_key: str | None = None
    ) -> Ticket | None:
        """The counter calls the next ticket by the calling policy; None if nobody waits."""
        office = self.office(slug)
        counter = self.counter(office, number)
        lanes = counter_lanes(counter)
        if (done := await self.store.replay(slug, idempotency_key)) is not None:
            return done
        for _ in range(CALL_ATTEMPTS):
            state, heads = await self.store.counter_and_heads(slug, number, lanes)
            self._check_can_call(state)
            now = self.clock.now_ms()
            choice = choose_next(heads, state.streak, office.interleave, now)
            if choice is None:
                return None
            try:
                return await self.store.call(
                    slug, choice.ticket, choice.lane, number, choice.streak, now, idempotency_key
                )
            except Moved:
                continue  # another counter took it; look again
        raise Unavailable(text_key="error.queue.calls_collide")

    @staticmethod
    def _check_can_call(state: CounterState) -> None:
        if state.status != "open":
            raise Conflict(
                f"counter {state.number} is {state.status}; open it first",
                text_key="error.queue.counter_not_open",
                params={"number": state.number},
                code="counter_not_open",
            )
        if state.busy:
            raise Conflict(
                f"counter {state.number} is still serving {state.current_number}",
                text_key="error.queue.counter_busy",
                params={"number": state.number, "current": state.current_number},
                code="counter_busy",
            )

    async def call(self, ticket_id: str, number: int, idempotency_key: str | None = None) -> Ticket:
        """Call one waiting ticket out of order."""
        ticket = await self.store.ticket(ticket_id)
        office = self.office(ticket.office)
        self.counter(office, number)
        if (done := await self.store.replay(office.slug, idempotency_key)) is not None:
            return done
        if ticket.status != "waiting":
            raise _state_conflict(ticket, "call")
        state = await self.store.counter(office.slug, number)
        self._check_can_call(state)
        waiting = Waiting(ticket.id, ticket.klass, ticket.score)
        try:
            return await self.store.call(
                office.slug, waiting, ticket.lane, number, state.streak, self.clock.now_ms(),
                idempotency_key,
            )  # fmt: skip
        except Moved as exc:
            raise Conflict(str(exc), text_key="error.queue.moved") from exc

    async def step(
        self,
        ticket_id: str,
        action: str,
        counter: int | None = None,
        idempotency_key: str | None = None,
    ) -> Ticket:
        """recall, start, finish or no_show a called or serving ticket."""
        ticket = await self.store.ticket(ticket_id)
        office = self.office(ticket.office)
        if counter is not None:
            self.counter(office, counter)
        return await self.store.step(ticket, action, self.clock.now_ms(), counter, idempotency_key)

    async def cancel(self, ticket_id: str, idempotency_key: str | None = None) -> Ticket:
        ticket = await self.store.ticket(ticket_id)
        self.office(ticket.office)
        if (done := await self.store.replay(ticket.office, idempotency_key)) is not None:
            return done
        if ticket.status != "waiting":
            raise _state_conflict(ticket, "cancel")
        return await self.store.requeue(
            ticket, "cancel", self.clock.now_ms(), idempotency_key=idempotency_key
        )

    async def transfer(
        self,
        ticket_id: str,
        field_code: str | None,
        counter: int | None,
        idempotency_key: str | None = None,
        force: bool = False,
    ) -> Ticket:
        """Send a waiting or called ticket to another field or counter; it keeps its place by
        issue order there. To a counter that is closed or paused only with `force` (the
        clerk was told and chose to): the ticket would wait until that counter opens."""
        if field_code is None and counter is None:
            raise BadRequest(text_key="error.queue.transfer_where")
        ticket = await self.store.ticket(ticket_id)
        office = self.office(ticket.office)
        field = self.field(office, field_code) if field_code else self.field(office, ticket.field)
        lane = field.code
        if counter is not None:
            lane = counter_lane(self.counter(office, counter).number)
        if (done := await self.store.replay(office.slug, idempotency_key)) is not None:
            return done
        if ticket.status not in ("waiting", "called"):
            raise _state_conflict(ticket, "transfer")
        if ticket.status == "waiting" and lane == ticket.lane and field.code == ticket.field:
            raise Conflict(text_key="error.queue.already_there")
        if counter is not None and not force:
            # Read before the move, not in its script: a warning to the clerk, who may
            # still choose the counter; a counter closing at that instant is told to its
            # own clerk (close_refusal) and the citizen's page says where the ticket waits.
            await self._check_transfer_target(office, ticket, counter)
        return await self.store.requeue(
            ticket, "transfer", self.clock.now_ms(), lane=lane, field=field.code,
            idempotency_key=idempotency_key,
        )  # fmt: skip

    async def counter_state(self, office: Office, number: int) -> CounterState:
        return next(c for c in await self.store.counters(office) if c.number == number)

    async def counter_states(self, office: Office) -> list[CounterState]:
        """The state of each of the office's counters, in the office's order."""
        return await self.store.counters(office)

    async def _check_transfer_target(self, office: Office, ticket: Ticket, number: int) -> None:
        target = self.counter(office, number)
        status = (await self.counter_state(office, number)).status
        if status == "open":
            return
        en_state = "closed" if status == "closed" else "paused"
        raise Conflict(
            f"counter {number} ({target.name}) is {en_state}: ticket {ticket.number} would wait"
            " there until it opens",
            text_key=f"error.queue.transfer_{en_state}",
            params={"name": target.name, "number": ticket.number},
            code=f"counter_{en_state}",
            details={"counter": number, "name": target.name, "status": status},
        )

    # Counters.

    async def counter_action(
        self, slug: str, number: int, action: str, staff: str = "",
        idempotency_key: str | None = None, force: bool = False,
    ) -> CounterState:  # fmt: skip
        """Open, pause or close a counter. Pausing or closing the last open counter of a field
        with people waiting is refused (409 `last_counter`, with how many) unless `force`:
        they would hold numbers no counter calls."""
        office = self.office(slug)
        counter = self.counter(office, number)
        try:
            return await self.store.counter_action(
                office, counter, action, self.clock.now_ms(), staff, idempotency_key, force
            )
        except Conflict as exc:
            if exc.code != "last_counter":
                raise
            raise _last_counter(office, counter, action, exc.extra) from exc

    # Views.

    async def snapshot(self, slug: str) -> dict[str, Any]:
        """Waiting tickets per lane in calling order, each counter with its current ticket,
        the last calls, and the id of the last event this state includes."""
        office = self.office(slug)
        last, counters, waiting, calls = await self.store.state(office)
        now = self.clock.now_ms()
        ordered = {
            lane: calling_order(items, office.interleave, now) for lane, items in waiting.items()
        }
        ids = [w.id for items in ordered.values() for w in items]
        ids += [c.current for c in counters if c.current]
        tickets = {t.id: t for t in await self.store.tickets(slug, ids)}
        return {
            "office": slug,
            "last_event": last,
            "day": self.day(office, now),
            "lanes": {
                lane: [tickets[w.id].to_json() for w in items if w.id in tickets]
                for lane, items in ordered.items()
            },
            "counters": [
                {
                    **c.to_json(),
                    "ticket": tickets[c.current].to_json() if c.current in tickets else None,
                }
                for c in counters
            ],
            "recent_calls": calls,
            # Read after the state: it is at least as new, and later changes come as events.
            "message": await self.store.messages.current(slug, now),
        }

    async def post_board_message(self, slug: str, text: str, minutes: int, by: str) -> str:
        """Puts `text` up on the office's boards for `minutes` (the `board.message` event);
        an empty text takes the message down. Returns the event's id."""
        office = self.office(slug)
        now = self.clock.now_ms()
        until = now + minutes * 60_000 if text else 0
        return await self.store.messages.send(office.slug, text, until, by, now)

    async def board_message(self, slug: str) -> dict[str, Any] | None:
        """`{text, until_ms}` of the message the office's boards show now, or None."""
        return await self.store.messages.current(self.office(slug).slug, self.clock.now_ms())

    async def replayable(self, slug: str, since: str) -> bool:
        """Whether a client that saw event `since` can be sent exactly what followed it:
        nothing after it was trimmed (it is not older than the oldest kept event) and it
        comes from this stream (not newer than the newest)."""
        first = await self.store.first_event_id(slug)
        if first is None:
            return False
        newest = await self.store.last_event_id(slug)
        return _stream_id(first) <= _stream_id(since) <= _stream_id(newest)

    async def events_after(self, slug: str, after: str, count: int) -> list[Event]:
        """Up to `count` of the office's events after the event id `after`, oldest first."""
        return await self.store.events_after(slug, after, count)

    async def events_since(self, slug: str, since_ms: int, limit: int) -> list[Event]:
        """Up to `limit` of the office's events appended from `since_ms` on, oldest first."""
        return await self.store.events_after(self.office(slug).slug, f"{since_ms}-0", limit)

    async def record_event(self, slug: str, etype: str, data: dict[str, Any]) -> str:
        """Appends an event that changes no queue state (an audit line of the console) to
        the office stream; returns its id."""
        return await self.store.append_event(self.office(slug).slug, etype, data)

    async def follow_office(self, office: Office) -> None:
        """The sets of open counters as the office's counters serve its fields now (after a
        manager's change); idempotent."""
        await self.store.sync_open_counters(office)

    async def ping(self) -> None:
        """Raises `StoreError` when Redis does not answer."""
        await self.store.ping()

    async def load_scripts(self) -> None:
        """Every Lua script in Redis's script cache; raises `StoreError` when Redis does not
        answer."""
        await self.store.load_scripts()

    async def start_day(self, slug: str, office: Office | None = None) -> int:
        """Cancel waiting tickets of earlier days; returns how many. Idempotent. `office`:
        one not served yet (an office just added)."""
        office = office or self.office(slug)
        now = self.clock.now_ms()
        return await self.store.rollover(office, self.day(office, now), now)


def _last_counter(office: Office, counter: Counter, action: str, extra: dict[str, Any]) -> Conflict:
    """The refusal of `counter.lua`: its fields (by their index in the counter's fields) left
    without an open counter and how many wait in each, and how many tickets were sent to
    this counter itself (`own`)."""
    left: list[tuple[Field, int]] = []
    for entry in extra.get("fields") or []:  # cjson writes an empty list as {}
        field = office.field(counter.fields[int(entry["index"]) - 1])
        if field is not None:
            left.append((field, int(entry["waiting"])))
    waiting = sum(n for _, n in left)
    own = int(extra.get("own") or 0)
    verb_en = "pause" if action == "pause" else "close"
    en: list[str] = []  # for the log
    texts: list[Text] = []
    if left:
        people = "1 person is" if waiting == 1 else f"{waiting} people are"
        en.append(
            f"counter {counter.number} is the last one open for"
            f" {', '.join(f.name_en for f, _ in left)}; {people} waiting."
        )
        fields = Localized(
            ", ".join(f.name_vi for f, _ in left), ", ".join(f.name_en for f, _ in left)
        )
        texts.append(
            Text(
                text_key="error.queue.last_open_one",
                params={"name": counter.name, "fields": fields},
            )
            if waiting == 1
            else Text(
                text_key="error.queue.last_open",
                params={"name": counter.name, "fields": fields, "waiting": waiting},
            )
        )
    if own:
        tickets = "1 ticket sent to it waits" if own == 1 else f"{own} tickets sent to it wait"
        en.append(f"{tickets} for counter {counter.number}.")
        texts.append(
            Text(text_key="error.queue.own_waiting_one", params={"name": counter.name})
            if own == 1
            else Text(text_key="error.queue.own_waiting", params={"name": counter.name, "own": own})
        )
    texts.append(Text(f"error.queue.force_{verb_en}"))
    first, *more = texts
    return Conflict(
        " ".join([*en, f'Send "force": true to {verb_en} it anyway.']),
        text_key=first.text_key, params=first.params, more=more,
        code="last_counter",
        details={
            "counter": counter.number,
            "action": action,
            "waiting": waiting,
            "fields": [
                {"code": f.code, "name_vi": f.name_vi, "name_en": f.name_en, "waiting": n}
                for f, n in left
            ],
            "own": own,
        },
    )  # fmt: skip


def _state_conflict(ticket: Ticket, action: str) -> Conflict:
    return state_conflict(ticket.number, ticket.status, action)
