"""The booking store: visit appointments and result pickups, rate limits, the walk-in gate.

Every change is one Lua script (`lua/book_*.lua`, after the shared prelude); the services
decide, these methods apply atomically and map refusals to the exception tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis.asyncio as aredis
from redis.commands.core import AsyncScript

from queue_server.errors import Conflict, Localized, NotFound, SothutuError, Text
from queue_server.store import keys
from queue_server.store.scripts import _source

NO_IDEMPOTENCY = "-"
NAMES = (
    "book_create", "book_cancel", "book_reschedule", "book_checkin", "book_no_show",
    "book_remind", "book_result", "book_result_move", "book_gate", "rate", "book_onsite",
    "book_onsite_cancel",
)  # fmt: skip
# visit: a slot at the office; result: a result pickup; onsite: staff at the citizen's address.
BookingKind = Literal["visit", "result", "onsite"]


# How often a booking is tried again when the set it checks changed between the read and
# the script (another booking of the same phone or staff member at that instant).
STALE_ATTEMPTS = 20


class CodeTaken(SothutuError):
    """The random booking code collided with an existing one; draw another."""

    code = "code_taken"


class Stale(SothutuError):
    """The set a script checks changed since the caller read it; read it again."""

    code = "stale"


@dataclass(frozen=True)
class Booking:
    code: str
    office: str
    kind: BookingKind
    field: str
    procedure: str
    name: str
    phone: str
    start: int
    end: int
    day: str
    status: str
    created_at: int
    cccd: str = ""
    email: str = ""
    ticket: str = ""
    ticket_number: str = ""
    source_ticket: str = ""
    received_at: int | None = None
    staff: str = ""
    reason: str = ""
    reschedules: int = 0
    address: str = ""
    history: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_hash(cls, h: dict[str, Any]) -> Booking:
        kind: BookingKind = "visit"
        if h.get("kind") in ("result", "onsite"):
            kind = h["kind"]
        return cls(
            code=h["code"],
            office=h["office"],
            kind=kind,
            field=h["field"],
            procedure=h.get("procedure", ""),
            name=h.get("name", ""),
            phone=h.get("phone", ""),
            start=int(h["start"]),
            end=int(h["end"]),
            day=h["day"],
            status=h["status"],
            created_at=int(h["created_at"]),
            cccd=h.get("cccd", ""),
            email=h.get("email", ""),
            ticket=h.get("ticket", ""),
            ticket_number=h.get("ticket_number", ""),
            source_ticket=h.get("source_ticket", ""),
            received_at=int(h["received_at"]) if h.get("received_at") else None,
            staff=h.get("staff", ""),
            reason=h.get("reason", ""),
            reschedules=int(h.get("reschedules") or 0),
            address=h.get("address", ""),
            history=tuple(json.loads(h.get("history") or "[]")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "office": self.office,
            "kind": self.kind,
            "field": self.field,
            "procedure": self.procedure,
            "name": self.name,
            "phone": self.phone,
            "start": self.start,
            "end": self.end,
            "day": self.day,
            "status": self.status,
            "ticket": self.ticket or None,
            "ticket_number": self.ticket_number or None,
            "reschedules": self.reschedules,
            "reason": self.reason or None,
            "staff": self.staff or None,
            "address": self.address or None,
            "history": list(self.history),
        }


# The catalogue text of a script's refusal, by its code; a code not here keeps the
# script's own English message.
_TEXT_KEYS = {
    "slot_full": "error.booking.slot_full",
    "phone_limit": "error.booking.phone_limit",
    "same_slot": "error.booking.same_slot",
    "not_later": "error.booking.not_later",
    "staff_busy": "error.booking.staff_busy",
}


# A booking's state and kind as a clerk or citizen reads them (`error.booking.is.<state>`,
# `error.booking.kind.<kind>`), and each action's words (`error.booking.verb.<action>`) and
# the kind it needs (None: any).
BOOKING_STATES = ("booked", "checked_in", "cancelled", "no_show")
BOOKING_KINDS = ("visit", "result", "onsite")
BOOKING_ACTIONS: dict[str, str | None] = {
    "cancel": "visit",
    "cancel_onsite": "onsite",
    "check_in": None,
    "reschedule": "visit",
    "postpone": "result",
}


def _word(group: str, value: str, known: tuple[str, ...]) -> Text | str:
    return Text(f"error.booking.{group}.{value}") if value in known else value


def booking_conflict(action: str, status: str, kind: str) -> Conflict:
    """409 `invalid_state` that says the booking's state (or kind) and what the action
    needed."""
    needs_kind = BOOKING_ACTIONS.get(action)
    verb = (
        Text(f"error.booking.verb.{action}") if action in BOOKING_ACTIONS
        else Localized("xử lý", action)
    )  # fmt: skip
    if needs_kind is not None and kind != needs_kind:
        return Conflict(
            f"cannot {action} a booking of kind {kind}",
            text_key="error.booking.wrong_kind",
            params={
                "verb": verb,
                "kind": _word("kind", kind, BOOKING_KINDS),
                "needed": _word("kind", needs_kind, BOOKING_KINDS),
            },
            code="invalid_state",
        )
    return Conflict(
        f"cannot {action} a booking that is {status}",
        text_key="error.booking.wrong_state",
        params={"verb": verb, "state": _word("is", status, BOOKING_STATES)},
        code="invalid_state",
    )


def _error(code: str, result: dict[str, Any]) -> SothutuError:
    message = str(result.get("message", code))
    if code == "code_taken":
        return CodeTaken(message)
    if code == "stale":
        return Stale(message)
    if code == "not_found":
        return NotFound(message, text_key="error.booking.not_found")
    if code == "invalid_state":
        return booking_conflict(
            str(result.get("action", "")), str(result.get("status", "")),
            str(result.get("kind", "")),
        )  # fmt: skip
    return Conflict(message, text_key=_TEXT_KEYS.get(code), code=code)


def _busy() -> Conflict:
    return Conflict(text_key="error.booking.busy", code="busy")


class BookingStore:
    def __init__(self, client: aredis.Redis) -> None:
        self.client = client
        head = _source("prelude") + "\n" + _source("book_common")
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script(head + "\n" + _source(name)) for name in NAMES
        }

    async def _run(
        self, name: str, slug: str, idem: str | None, keys_: list[str], args: list[Any]
    ) -> dict[str, Any]:
        # Unused without a request id, but in the office's slot like every key of a script.
        idem_key = keys.idempotency(slug, f"book:{idem}" if idem else NO_IDEMPOTENCY)
        raw = await self._scripts[name](keys=[idem_key, *keys_], args=["1" if idem else "0", *args])
        result: dict[str, Any] = json.loads(raw)
        if (err := result.get("err")) is not None:
            raise _error(err, result)
        return result

    # Codes are unique across the deployment so that /appointments/{code} finds the office.

    async def reserve_code(self, code: str, slug: str) -> bool:
        return bool(await self.client.set(keys.booking_code(code), slug, nx=True, ex=400 * 86400))

    async def release_code(self, code: str) -> None:
        await self.client.delete(keys.booking_code(code))

    async def office_of(self, code: str) -> str | None:
        return cast(str | None, await self.client.get(keys.booking_code(code)))

    async def get(self, slug: str, code: str) -> Booking:
        h = cast(dict[str, Any], await self.client.hgetall(keys.booking(slug, code)))
        if not h:
            raise NotFound(f"no booking {code!r}", text_key="error.booking.not_found")
        return Booking.from_hash(h)

    async def many(self, slug: str, codes: list[str]) -> list[Booking]:
        async with self.client.pipeline(transaction=False) as pipe:
            for code in codes:
                pipe.hgetall(keys.booking(slug, code))
            found = await pipe.execute()
        return [Booking.from_hash(h) for h in found if h]

    async def day_codes(
        self, slug: str, day: str, lo: float | str = "-inf", hi: float | str = "+inf"
    ) -> list[str]:
        codes = await self.client.zrangebyscore(keys.day_bookings(slug, day), lo, hi)
        return cast(list[str], codes)

    async def slot_counts(self, slug: str, field: str, starts: list[int]) -> dict[int, int]:
        async with self.client.pipeline(transaction=False) as pipe:
            for start in starts:
                pipe.scard(keys.slot_bookings(slug, field, start))
            counts = await pipe.execute()
        return dict(zip(starts, (int(c) for c in counts), strict=True))

    async def create(
        self, slug: str, code: str, *, capacity: int, max_per_phone: int, now_ms: int,
        start_ms: int, end_ms: int, day: str, field: str, procedure: str, name: str,
        phone: str, cccd: str, email: str, idempotency_key: str | None,
    ) -> Booking:  # fmt: skip
        for _ in range(STALE_ATTEMPTS):
            held = sorted(
                cast(set[str], await self.client.smembers(keys.phone_bookings(slug, phone)))
            )
            try:
                result = await self._run(
                    "book_create", slug, idempotency_key,
                    [keys.booking(slug, code), keys.slot_bookings(slug, field, start_ms),
                     keys.phone_bookings(slug, phone), keys.day_bookings(slug, day),
                     keys.events(slug), *(keys.booking(slug, c) for c in held)],
                    [code, capacity, max_per_phone, now_ms, start_ms, end_ms, day, slug, field,
                     procedure, name, phone, cccd, email, *held],
                )  # fmt: skip
            except Stale:
                continue
            return Booking.from_hash(result["booking"])
        raise _busy()

    async def cancel(self, b: Booking, now_ms: int, by: str, idem: str | None) -> Booking:
        result = await self._run(
            "book_cancel", b.office, idem,
            [keys.booking(b.office, b.code), keys.slot_bookings(b.office, b.field, b.start),
             keys.phone_bookings(b.office, b.phone), keys.day_bookings(b.office, b.day),
             keys.events(b.office)],
            [now_ms, by],
        )  # fmt: skip
        return Booking.from_hash(result["booking"])

    async def reschedule(
        self, b: Booking, *, capacity: int, start_ms: int, end_ms: int, day: str, now_ms: int,
        idem: str | None,
    ) -> Booking:  # fmt: skip
        result = await self._run(
            "book_reschedule", b.office, idem,
            [keys.booking(b.office, b.code), keys.slot_bookings(b.office, b.field, b.start),
             keys.slot_bookings(b.office, b.field, start_ms), keys.day_bookings(b.office, b.day),
             keys.day_bookings(b.office, day), keys.events(b.office)],
            [now_ms, capacity, start_ms, end_ms, day],
        )  # fmt: skip
        return Booking.from_hash(result["booking"])

    async def check_in(
        self, b: Booking, now_ms: int, ticket_id: str, ticket_number: str, report_day: str
    ) -> tuple[Booking, bool]:
        """Marks the booking checked in; returns it and whether it already was."""
        result = await self._run(
            "book_checkin", b.office, None,
            [keys.booking(b.office, b.code), keys.events(b.office),
             keys.day_report(b.office, report_day)],
            [now_ms, ticket_id, ticket_number],
        )  # fmt: skip
        return Booking.from_hash(result["booking"]), bool(result["again"])

    async def no_show(self, b: Booking, now_ms: int, overdue_before_ms: int) -> bool:
        result = await self._run(
            "book_no_show", b.office, None,
            [keys.booking(b.office, b.code), keys.slot_bookings(b.office, b.field, b.start),
             keys.phone_bookings(b.office, b.phone), keys.events(b.office),
             keys.day_report(b.office, b.day)],
            [now_ms, overdue_before_ms],
        )  # fmt: skip
        return bool(result["released"])

    async def remind(self, b: Booking, now_ms: int, text: str) -> bool:
        result = await self._run(
            "book_remind", b.office, None,
            [keys.booking(b.office, b.code), keys.outbox(b.office)], [now_ms, text],
        )  # fmt: skip
        return bool(result["sent"])

    async def create_result(
        self, slug: str, code: str, *, now_ms: int, start_ms: int, end_ms: int, day: str,
        field: str, procedure: str, name: str, phone: str, ticket_id: str, received_ms: int,
        staff: str, idempotency_key: str | None,
    ) -> Booking:  # fmt: skip
        result = await self._run(
            "book_result", slug, idempotency_key,
            [keys.booking(slug, code), keys.day_bookings(slug, day), keys.events(slug)],
            [code, now_ms, start_ms, day, slug, field, procedure, name, phone, ticket_id,
             received_ms, staff, end_ms],
        )  # fmt: skip
        return Booking.from_hash(result["booking"])

    async def postpone_result(
        self, b: Booking, *, now_ms: int, start_ms: int, end_ms: int, day: str, reason: str,
        staff: str, idem: str | None,
    ) -> Booking:  # fmt: skip
        result = await self._run(
            "book_result_move", b.office, idem,
            [keys.booking(b.office, b.code), keys.day_bookings(b.office, b.day),
             keys.day_bookings(b.office, day), keys.events(b.office)],
            [now_ms, start_ms, end_ms, day, reason, staff],
        )  # fmt: skip
        return Booking.from_hash(result["booking"])

    async def create_onsite(
        self, slug: str, code: str, *, now_ms: int, start_ms: int, end_ms: int, day: str,
        field: str, procedure: str, name: str, phone: str, staff: str, address: str,
        idempotency_key: str | None,
    ) -> Booking:  # fmt: skip
        visits = keys.staff_visits(slug, staff, day)
        for _ in range(STALE_ATTEMPTS):
            seen = cast(list[str], await self.client.zrange(visits, 0, -1))
            try:
                result = await self._run(
                    "book_onsite", slug, idempotency_key,
                    [keys.booking(slug, code), visits, keys.day_bookings(slug, day),
                     keys.events(slug), *(keys.booking(slug, c) for c in seen)],
                    [code, now_ms, start_ms, end_ms, day, slug, field, procedure, name, phone,
                     staff, address, *seen],
                )  # fmt: skip
            except Stale:
                continue
            return Booking.from_hash(result["booking"])
        raise _busy()

    async def cancel_onsite(self, b: Booking, now_ms: int, by: str, idem: str | None) -> Booking:
        result = await self._run(
            "book_onsite_cancel", b.office, idem,
            [keys.booking(b.office, b.code), keys.staff_visits(b.office, b.staff, b.day),
             keys.day_bookings(b.office, b.day), keys.events(b.office)],
            [now_ms, by],
        )  # fmt: skip
        return Booking.from_hash(result["booking"])

    async def hit(self, slug: str, what: str, who: str, window_s: int, now_ms: int) -> int:
        """Counts one request of `who` in the current fixed window; returns the count."""
        window = now_ms // 1000 // window_s
        result = await self._run(
            "rate", slug, None, [keys.rate(slug, what, who, window)], [window_s]
        )
        return int(result["count"])

    async def set_gate(self, slug: str, state: str, now_ms: int) -> bool:
        result = await self._run(
            "book_gate", slug, None, [keys.walk_in_gate(slug), keys.events(slug)], [state, now_ms]
        )
        return bool(result["changed"])

    async def gate(self, slug: str) -> str:
        value = cast(str | None, await self.client.get(keys.walk_in_gate(slug)))
        return value or "open"
