from __future__ import annotations

from datetime import date, datetime, time
from itertools import pairwise

import pytest

from queue_server.rules.calendar import NORTHERN_SEASONS, VN_GOVERNMENT_SWAPS, Calendar, apply_swaps
from queue_server.rules.slots import (
    FreeSlot,
    Slot,
    SlotRule,
    bookable_capacity,
    bookable_slots,
    check_in_status,
    day_slots,
    free_slots,
    is_no_show,
    slot_capacity,
)

OFFICE = apply_swaps(Calendar(seasons=NORTHERN_SEASONS), VN_GOVERNMENT_SWAPS)
WINTER_MONDAY = date(2025, 12, 1)
SUMMER_MONDAY = date(2025, 6, 2)


def _starts(slots: tuple[Slot, ...]) -> str:
    return " ".join(slot.start.strftime("%H:%M") for slot in slots)


@pytest.mark.parametrize(
    ("day", "minutes", "starts"),
    [
        (
            WINTER_MONDAY,
            30,
            "07:30 08:00 08:30 09:00 09:30 10:00 10:30 11:00 11:30 "
            "13:00 13:30 14:00 14:30 15:00 15:30 16:00",
        ),
        # 07:30-12:00 holds six 45-minute slots exactly; 13:00-16:30 holds four, the fifth
        # (16:00-16:45) would run past closing and is dropped.
        (
            WINTER_MONDAY,
            45,
            "07:30 08:15 09:00 09:45 10:30 11:15 13:00 13:45 14:30 15:15",
        ),
        (
            WINTER_MONDAY,
            60,
            "07:30 08:30 09:30 10:30 13:00 14:00 15:00",
        ),
        (
            SUMMER_MONDAY,
            60,
            "07:00 08:00 09:00 10:00 13:30 14:30 15:30",
        ),
        (WINTER_MONDAY, 300, ""),
        (date(2025, 12, 7), 30, ""),  # Sunday
        (date(2026, 2, 17), 30, ""),  # Tết
        (date(2026, 1, 2), 30, ""),  # swapped day off
        (date(2026, 1, 10), 60, "07:30 08:30 09:30 10:30 13:00 14:00 15:00"),
    ],
)
def test_day_slots(day: date, minutes: int, starts: str) -> None:
    slots = day_slots(OFFICE, day, SlotRule(length_minutes=minutes, capacity=3))
    assert _starts(slots) == starts
    for slot in slots:
        assert slot.start.date() == day
        assert (slot.end - slot.start).total_seconds() == minutes * 60
        assert slot.capacity == 3


@pytest.mark.parametrize("minutes", [10, 15, 20, 25, 30, 40, 45, 50, 60, 90])
@pytest.mark.parametrize("day", [WINTER_MONDAY, SUMMER_MONDAY])
def test_slots_stay_inside_a_session(day: date, minutes: int) -> None:
    lunch = {WINTER_MONDAY: (time(12, 0), time(13, 0)), SUMMER_MONDAY: (time(11, 30), time(13, 30))}
    lunch_start, lunch_end = lunch[day]
    slots = day_slots(OFFICE, day, SlotRule(length_minutes=minutes, capacity=1))
    assert slots
    for slot in slots:
        assert slot.end.time() <= lunch_start or slot.start.time() >= lunch_end
    assert all(a.end <= b.start for a, b in pairwise(slots))


def test_day_slots_hold_back_walk_ins() -> None:
    slots = day_slots(OFFICE, WINTER_MONDAY, SlotRule(30, capacity=4, walk_in_share=0.3))
    assert {slot.capacity for slot in slots} == {2}


@pytest.mark.parametrize(
    ("capacity", "share", "bookable"),
    [
        (4, 0.3, 2),  # 1.2 held back, rounded up to 2
        (10, 0.3, 7),
        (100, 0.07, 93),  # exactly 7 held back, although 100 * 0.07 is 7.000000000000001
        (50, 0.14, 43),
        (20, 0.1, 18),
        (7, 0.25, 5),
        (3, 0.5, 1),
        (1, 0.3, 0),
        (10, 0.0, 10),
        (10, 1.0, 0),
        (0, 0.3, 0),
    ],
)
def test_bookable_capacity(capacity: int, share: float, bookable: int) -> None:
    assert bookable_capacity(capacity, share) == bookable


@pytest.mark.parametrize(
    ("counters", "slot_minutes", "service_minutes", "capacity"),
    [
        (2, 30, 15, 4),
        (2, 30, 20, 2),
        (3, 60, 10, 18),
        (1, 15, 20, 0),
        (0, 30, 15, 0),
    ],
)
def test_slot_capacity(
    counters: int, slot_minutes: int, service_minutes: int, capacity: int
) -> None:
    assert slot_capacity(counters, slot_minutes, service_minutes) == capacity


def test_slot_capacity_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        slot_capacity(2, 30, 0)


def _week(rule: SlotRule) -> tuple[Slot, ...]:
    return tuple(slot for d in range(1, 8) for slot in day_slots(OFFICE, date(2025, 12, d), rule))


@pytest.mark.parametrize(
    ("now", "notice", "horizon", "first", "last"),
    [
        # 60 minutes' notice at 09:10: the 10:00 slot is too soon, 10:30 is the first.
        (datetime(2025, 12, 1, 9, 10), 60, 2, "2025-12-01 10:30", "2025-12-03 16:00"),
        # Exactly 60 minutes before 10:30 is still enough notice.
        (datetime(2025, 12, 1, 9, 30), 60, 2, "2025-12-01 10:30", "2025-12-03 16:00"),
        (datetime(2025, 12, 1, 9, 31), 60, 2, "2025-12-01 11:00", "2025-12-03 16:00"),
        (datetime(2025, 12, 1, 6, 0), 0, 0, "2025-12-01 07:30", "2025-12-01 16:00"),
        # Late in the day: nothing left today, tomorrow onwards.
        (datetime(2025, 12, 1, 16, 0), 30, 1, "2025-12-02 07:30", "2025-12-02 16:00"),
        # Friday evening with a 3-day horizon reaches Monday; the weekend has no slots.
        (datetime(2025, 12, 5, 17, 0), 60, 3, "2025-12-08 07:30", "2025-12-08 16:00"),
    ],
)
def test_bookable_slots(now: datetime, notice: int, horizon: int, first: str, last: str) -> None:
    rule = SlotRule(30, capacity=2, horizon_days=horizon, min_notice_minutes=notice)
    week = _week(rule) + day_slots(OFFICE, date(2025, 12, 8), rule)
    slots = bookable_slots(week, now, rule)
    assert slots[0].start == datetime.fromisoformat(first)
    assert slots[-1].start == datetime.fromisoformat(last)


def test_bookable_slots_empty_when_horizon_has_only_days_off() -> None:
    rule = SlotRule(30, capacity=2, horizon_days=1, min_notice_minutes=0)
    slots = tuple(day_slots(OFFICE, date(2026, 2, d), rule) for d in range(13, 24))
    flat = tuple(slot for day in slots for slot in day)
    assert bookable_slots(flat, datetime(2026, 2, 15, 8, 0), rule) == ()
    assert bookable_slots(flat, datetime(2026, 2, 22, 8, 0), rule)[0].start == datetime(
        2026, 2, 23, 7, 30
    )


def test_free_slots() -> None:
    rule = SlotRule(60, capacity=3)
    slots = day_slots(OFFICE, WINTER_MONDAY, rule)[:4]
    at = [slot.start for slot in slots]
    booked = {at[0]: 3, at[1]: 1, at[3]: 5, datetime(2025, 12, 2, 7, 30): 2}
    assert free_slots(slots, booked) == (FreeSlot(slots[1], 2), FreeSlot(slots[2], 3))


def test_free_slots_skip_zero_capacity() -> None:
    slots = day_slots(OFFICE, WINTER_MONDAY, SlotRule(60, capacity=1, walk_in_share=0.5))
    assert slots
    assert free_slots(slots, {}) == ()


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (time(9, 0), "early"),
        (time(9, 29), "early"),
        (time(9, 30), "ok"),
        (time(10, 0), "ok"),
        (time(10, 15), "ok"),
        (time(10, 15, 1), "late"),
        (time(11, 0), "late"),
    ],
)
def test_check_in_status(now: time, status: str) -> None:
    slot_start = datetime(2025, 12, 1, 10, 0)
    moment = datetime.combine(slot_start.date(), now)
    assert check_in_status(slot_start, moment, early_minutes=30, late_minutes=15) == status


@pytest.mark.parametrize(
    ("now", "checked_in", "no_show"),
    [
        (time(9, 0), False, False),
        (time(10, 0), False, False),
        (time(10, 20), False, False),
        (time(10, 20, 1), False, True),
        (time(12, 0), False, True),
        (time(12, 0), True, False),
    ],
)
def test_is_no_show(now: time, checked_in: bool, no_show: bool) -> None:
    slot_start = datetime(2025, 12, 1, 10, 0)
    moment = datetime.combine(slot_start.date(), now)
    assert is_no_show(slot_start, moment, grace_minutes=20, checked_in=checked_in) is no_show


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length_minutes": 0, "capacity": 1}, "length"),
        ({"length_minutes": 30, "capacity": -1}, "capacity"),
        ({"length_minutes": 30, "capacity": 1, "walk_in_share": 1.5}, "walk-in"),
        ({"length_minutes": 30, "capacity": 1, "walk_in_share": -0.1}, "walk-in"),
        ({"length_minutes": 30, "capacity": 1, "horizon_days": -1}, "horizon"),
        ({"length_minutes": 30, "capacity": 1, "min_notice_minutes": -5}, "notice"),
    ],
)
def test_slot_rule_rejects_bad_values(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlotRule(**kwargs)  # type: ignore[arg-type]
