"""Typed views of what the store keeps in Redis hashes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from queue_server.rules.calling import Klass

Status = Literal["waiting", "called", "serving", "done", "no_show", "cancelled"]
CounterStatus = Literal["open", "paused", "closed"]


def _int(v: str | None) -> int | None:
    return int(float(v)) if v not in (None, "") else None


@dataclass(frozen=True)
class Ticket:
    id: str
    office: str
    number: str
    field: str
    lane: str
    priority: str | None
    klass: Klass
    status: Status
    issued_at: int
    order: int
    day: str
    recalls: int = 0
    due_at: int | None = None
    counter: int | None = None
    called_at: int | None = None
    started_at: int | None = None
    finished_at: int | None = None
    transferred_from: str | None = None
    cancel_reason: str | None = None

    @classmethod
    def from_hash(cls, h: dict[str, Any]) -> Ticket:
        # Filled in place: a frozen dataclass's __init__ sets each of its 19 fields through
        # object.__setattr__, most of the cost of building a ticket, which every ticket
        # answered pays (docs/BENCHMARKS.md, session 3).
        ticket = object.__new__(cls)
        ticket.__dict__.update(
            id=h["id"],
            office=h["office"],
            number=h["number"],
            field=h["field"],
            lane=h.get("lane") or h["field"],
            priority=h.get("priority") or None,
            klass=h["class"],
            status=h["status"],
            issued_at=int(h["issued_at"]),
            order=int(h.get("order") or 0),
            day=h["day"],
            recalls=int(h.get("recalls") or 0),
            due_at=_int(h.get("due_at")),
            counter=_int(h.get("counter")),
            called_at=_int(h.get("called_at")),
            started_at=_int(h.get("started_at")),
            finished_at=_int(h.get("finished_at")),
            transferred_from=h.get("transferred_from") or None,
            cancel_reason=h.get("cancel_reason") or None,
        )
        return ticket

    @classmethod
    def new(
        cls, id: str, office: str, number: str, field: str, lane: str, priority: str | None,
        klass: Klass, issued_at: int, order: int, day: str, due_at: int | None,
    ) -> Ticket:  # fmt: skip
        """A ticket as issue.lua has just stored it: waiting, never called. Built here from
        what the issuer sent and the number the script chose, rather than read back."""
        ticket = object.__new__(cls)
        ticket.__dict__.update(
            id=id, office=office, number=number, field=field, lane=lane, priority=priority,
            klass=klass, status="waiting", issued_at=issued_at, order=order, day=day,
            recalls=0, due_at=due_at, counter=None, called_at=None, started_at=None,
            finished_at=None, transferred_from=None, cancel_reason=None,
        )  # fmt: skip
        return ticket

    @property
    def score(self) -> float:
        """Its place in a queue: issue order, or the due time of an appointment ticket."""
        if self.klass == "appointment" and self.due_at is not None:
            return float(self.due_at)
        return float(self.order)

    def to_json(self) -> dict[str, Any]:
        # Flat fields only: a plain copy is several times cheaper than asdict()'s deep copy.
        d = dict(self.__dict__)
        d["class"] = d.pop("klass")
        return d


@dataclass(frozen=True)
class CounterState:
    number: int
    status: CounterStatus
    current: str | None
    current_number: str | None
    current_status: str | None
    streak: int
    staff: str | None
    updated_at: int | None

    @classmethod
    def from_hash(cls, number: int, h: dict[str, Any] | None) -> CounterState:
        h = h or {}
        return cls(
            number=number,
            status=h.get("status") or "closed",
            current=h.get("current") or None,
            current_number=h.get("current_number") or None,
            current_status=h.get("current_status") or None,
            streak=int(h.get("streak") or 0),
            staff=h.get("staff") or None,
            updated_at=_int(h.get("updated_at")),
        )

    @property
    def busy(self) -> bool:
        return self.current is not None and self.current_status in ("called", "serving")

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)
