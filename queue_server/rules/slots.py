"""Appointment slots: generation from opening hours, booking window, capacity, check-in.

Pure functions; `now` and every datetime are office-local wall time (naive), as in
`queue_server.rules.calendar`.

Example::

    rule = SlotRule(length_minutes=30, capacity=slot_capacity(2, 30, 15), walk_in_share=0.3)
    slots = bookable_slots(day_slots(cal, day, rule), now, rule)
    offer = free_slots(slots, booked={slots[0].start: 1})
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal

from queue_server.rules.calendar import Calendar, hours_on

CheckInStatus = Literal["early", "ok", "late"]


@dataclass(frozen=True, slots=True)
class SlotRule:
    """How one field (lĩnh vực) offers appointments.

    `capacity` is the number of citizens one slot can serve (see `slot_capacity`);
    `walk_in_share` of it is held back for walk-ins and not bookable (see
    `bookable_capacity`). Appointments can be booked at most `horizon_days` calendar days
    ahead (today counts as day 0) and at least `min_notice_minutes` before the slot starts.
    """

    length_minutes: int
    capacity: int
    walk_in_share: float = 0.0
    horizon_days: int = 30
    min_notice_minutes: int = 60

    def __post_init__(self) -> None:
        if self.length_minutes <= 0:
            raise ValueError(f"slot length must be positive, got {self.length_minutes}")
        if self.capacity < 0:
            raise ValueError(f"slot capacity must not be negative, got {self.capacity}")
        if not 0 <= self.walk_in_share <= 1:
            raise ValueError(f"walk-in share must be between 0 and 1, got {self.walk_in_share}")
        if self.horizon_days < 0:
            raise ValueError(f"booking horizon must not be negative, got {self.horizon_days}")
        if self.min_notice_minutes < 0:
            raise ValueError(f"minimum notice must not be negative, got {self.min_notice_minutes}")


@dataclass(frozen=True, slots=True)
class Slot:
    """One appointment slot; `capacity` is what can be booked (walk-in share removed)."""

    start: datetime
    end: datetime
    capacity: int


@dataclass(frozen=True, slots=True)
class FreeSlot:
    slot: Slot
    remaining: int


def slot_capacity(counters: int, slot_minutes: int, service_minutes: int) -> int:
    """Citizens one slot can serve: each open counter serves whole services in the slot.

    Rounded down, so 2 counters with a 20-minute service in a 30-minute slot give 2, not 3.
    """
    if counters < 0 or slot_minutes <= 0 or service_minutes <= 0:
        raise ValueError("counters must be >= 0, slot and service minutes > 0")
    return counters * (slot_minutes // service_minutes)


def bookable_capacity(capacity: int, walk_in_share: float) -> int:
    """The part of `capacity` that can be booked ahead.

    The walk-in hold-back is rounded up, in favour of walk-ins: capacity 4 with share 0.3
    holds back 2 (1.2 rounded up) and leaves 2 bookable. The share is read as the decimal
    it was written as (0.07 is exactly 7/100), so capacity 100 holds back 7, not the 8 that
    float arithmetic would give.
    """
    share = Fraction(walk_in_share).limit_denominator(10_000)
    return capacity - math.ceil(capacity * share)


def day_slots(cal: Calendar, day: date, rule: SlotRule) -> tuple[Slot, ...]:
    """The slots of `day`: each session cut into slots of `rule.length_minutes` from its start.

    Slots never cross the lunch break, and a slot that would end after its session ends is
    dropped. A closed day has no slots.
    """
    length = timedelta(minutes=rule.length_minutes)
    capacity = bookable_capacity(rule.capacity, rule.walk_in_share)
    slots: list[Slot] = []
    for session in hours_on(cal, day):
        start = datetime.combine(day, session.start)
        session_end = datetime.combine(day, session.end)
        while start + length <= session_end:
            slots.append(Slot(start, start + length, capacity))
            start += length
    return tuple(slots)


def bookable_slots(slots: Iterable[Slot], now: datetime, rule: SlotRule) -> tuple[Slot, ...]:
    """The slots a citizen may book at `now`: inside the horizon and with enough notice.

    A slot starting exactly `min_notice_minutes` from now is still bookable; so is any slot
    on the last day of the horizon.
    """
    earliest = now + timedelta(minutes=rule.min_notice_minutes)
    last_day = now.date() + timedelta(days=rule.horizon_days)
    return tuple(slot for slot in slots if earliest <= slot.start and slot.start.date() <= last_day)


def free_slots(slots: Iterable[Slot], booked: Mapping[datetime, int]) -> tuple[FreeSlot, ...]:
    """The slots with capacity left, given the number booked per slot start."""
    free: list[FreeSlot] = []
    for slot in slots:
        remaining = slot.capacity - booked.get(slot.start, 0)
        if remaining > 0:
            free.append(FreeSlot(slot, remaining))
    return tuple(free)


def check_in_status(
    slot_start: datetime, now: datetime, early_minutes: int, late_minutes: int
) -> CheckInStatus:
    """Whether a citizen checking in at `now` is too early, in time, or too late.

    The window is from `early_minutes` before the slot start to `late_minutes` after it,
    both ends included.
    """
    if now < slot_start - timedelta(minutes=early_minutes):
        return "early"
    if now > slot_start + timedelta(minutes=late_minutes):
        return "late"
    return "ok"


def is_no_show(slot_start: datetime, now: datetime, grace_minutes: int, checked_in: bool) -> bool:
    """Whether an appointment not checked in is a no-show: true once the grace time has passed.

    At exactly `grace_minutes` after the start the citizen is still in time.
    """
    return not checked_in and now > slot_start + timedelta(minutes=grace_minutes)
