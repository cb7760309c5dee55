"""The calling policy: which waiting ticket a counter calls next. Pure: no Redis, no clock.

A counter serves lanes in order of preference: first tickets transferred to the counter
itself, then its fields in the configured order. In the first lane with anyone waiting:

1. an appointment ticket whose time has come goes first (earliest appointment first);
2. otherwise priority tickets (elderly, disabled, pregnant, meritorious service) go before
   normal ones, but after ``interleave`` priority calls in a row the counter calls a waiting
   normal ticket, so normal tickets are never starved;
3. first come, first served inside a class (by issue order, which a transfer keeps);
4. an appointment ticket whose time has not come is called only when nobody else waits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Klass = Literal["appointment", "priority", "normal"]
CLASSES: tuple[Klass, ...] = ("appointment", "priority", "normal")


def counter_lane(number: int) -> str:
    """The lane of tickets transferred to counter `number` (a field's lane is its code)."""
    return f"@{number}"


@dataclass(frozen=True)
class Waiting:
    """A waiting ticket as the policy sees it. `score` is the issue order, or for an
    appointment ticket its due time in epoch milliseconds."""

    id: str
    klass: Klass
    score: float


@dataclass(frozen=True)
class Choice:
    ticket: Waiting
    lane: str
    streak: int


# The heads of one lane: class -> the first waiting ticket of that class, if any.
LaneHeads = Mapping[Klass, Waiting | None]


def appointment_call_ms(due_ms: int | None, issued_ms: int) -> int | None:
    """When an appointment ticket will be called, as its holder is told: its due time if
    that is still ahead when it is issued (rule 1 then puts it first); None when it is
    already due (a late check-in, a result to collect) and goes to the first free counter."""
    return due_ms if due_ms is not None and due_ms > issued_ms else None


def pick_in_lane(
    heads: LaneHeads, streak: int, interleave: int, now_ms: int
) -> tuple[Waiting, int] | None:
    """The next ticket of one lane and the counter's new priority streak."""
    appt = heads.get("appointment")
    prio = heads.get("priority")
    normal = heads.get("normal")
    if appt is not None and appt.score <= now_ms:
        return appt, streak
    if prio is not None and (normal is None or streak < interleave):
        return prio, streak + 1
    if normal is not None:
        return normal, 0
    if appt is not None:
        return appt, streak
    return None


def choose_next(
    lanes: Sequence[tuple[str, LaneHeads]], streak: int, interleave: int, now_ms: int
) -> Choice | None:
    """The ticket a counter calls next, given the heads of its lanes in preference order."""
    for lane, heads in lanes:
        picked = pick_in_lane(heads, streak, interleave, now_ms)
        if picked is not None:
            return Choice(picked[0], lane, picked[1])
    return None


def calling_order(
    waiting: Iterable[Waiting], interleave: int, now_ms: int, streak: int = 0
) -> list[Waiting]:
    """All waiting tickets of one lane in the order one counter would call them."""
    queues: dict[Klass, list[Waiting]] = {k: [] for k in CLASSES}
    for w in waiting:
        queues[w.klass].append(w)
    for q in queues.values():
        q.sort(key=lambda w: (w.score, w.id))
    order: list[Waiting] = []
    while True:
        heads: dict[Klass, Waiting | None] = {k: (q[0] if q else None) for k, q in queues.items()}
        picked = pick_in_lane(heads, streak, interleave, now_ms)
        if picked is None:
            return order
        ticket, streak = picked
        queues[ticket.klass].pop(0)
        order.append(ticket)


def people_ahead(klass: Klass, rank: int, waiting: Mapping[Klass, int], interleave: int) -> int:
    """How many tickets of a lane are called before one of class `klass` that has `rank`
    tickets of its own class ahead, with `waiting` counting each class (itself included).

    The closed form of `calling_order` from a zero streak with every appointment due:
    appointments all go first; n normal tickets go after at most interleave*(n+1) priority
    ones; a priority ticket with r priority ones ahead lets r // interleave normal ones in.
    """
    appts = waiting.get("appointment", 0)
    prio = waiting.get("priority", 0)
    normal = waiting.get("normal", 0)
    if klass == "appointment":
        return rank
    if klass == "priority":
        return appts + rank + min(normal, rank // interleave)
    return appts + rank + min(prio, interleave * (rank + 1))
