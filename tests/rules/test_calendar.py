from __future__ import annotations

from datetime import date, datetime, time

import pytest

from queue_server.rules.calendar import (
    FRIDAY,
    MONDAY,
    NORTHERN_SEASONS,
    SATURDAY,
    VN_GOVERNMENT_SWAPS,
    Calendar,
    DayHours,
    Season,
    Session,
    WorkdaySwap,
    add_working_days,
    apply_swaps,
    hours_on,
    is_open_at,
    is_working_day,
    next_walk_in_opening,
    next_working_day,
    receipt_day,
    statutory_holidays,
    walk_in_gate,
    working_days_after,
)

BARE = Calendar(seasons=NORTHERN_SEASONS)
OFFICE = apply_swaps(BARE, VN_GOVERNMENT_SWAPS)

WINTER = (Session(time(7, 30), time(12, 0)), Session(time(13, 0), time(16, 30)))
SUMMER = (Session(time(7, 0), time(11, 30)), Session(time(13, 30), time(17, 0)))
SATURDAY_MORNING = (Session(time(7, 30), time(11, 30)),)


def _with_saturday_morning() -> Calendar:
    seasons = tuple(
        Season(
            s.name,
            s.start,
            s.end,
            {**s.weekdays, SATURDAY: DayHours(SATURDAY_MORNING)},
        )
        for s in NORTHERN_SEASONS
    )
    return apply_swaps(Calendar(seasons=seasons), VN_GOVERNMENT_SWAPS)


# What holidays 0.109 returns. Pinned so that an upgrade that changes it shows up here,
# before it silently moves result dates.
@pytest.mark.parametrize(
    ("day", "in_package"),
    [
        (date(2025, 1, 27), True),  # 29 Tết, in lieu of 4th day falling on Saturday 1 Feb
        (date(2025, 1, 31), True),
        (date(2025, 4, 7), True),  # Giỗ Tổ Hùng Vương
        (date(2025, 4, 26), False),  # make-up Saturday for 2 May: not in the package
        (date(2025, 5, 2), True),  # swapped day off: in the package
        (date(2025, 9, 1), True),
        (date(2026, 1, 1), True),
        (date(2026, 1, 2), False),  # the 2026 New Year swap is missing
        (date(2026, 1, 10), False),
        (date(2026, 2, 13), False),
        (date(2026, 2, 14), False),  # Saturday, 27 tháng Chạp: weekend, not a holiday
        (date(2026, 2, 16), True),  # Giao thừa
        (date(2026, 2, 20), True),  # mùng 4
        (date(2026, 2, 21), False),
        (date(2026, 4, 27), True),  # Hùng Vương on Sunday 26 April, in lieu on Monday
        (date(2026, 8, 31), True),  # swapped day off, make-up 22 Aug not in the package
        (date(2026, 8, 22), False),
        (date(2026, 11, 24), True),  # Ngày Văn hóa Việt Nam, from 2026 in the package
    ],
)
def test_statutory_holidays_from_package(day: date, in_package: bool) -> None:
    assert (day in statutory_holidays(day.year)) is in_package


def test_statutory_holidays_have_vietnamese_names() -> None:
    assert statutory_holidays(2026)[date(2026, 2, 17)] == "Tết Nguyên Đán"


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # Tết 2026: off Saturday 14 to Sunday 22 February.
        (date(2026, 2, 13), True),
        *[(date(2026, 2, d), False) for d in range(14, 23)],
        (date(2026, 2, 23), True),
        # 30/4-1/5 2025: Friday 2 May swapped with Saturday 26 April.
        (date(2025, 4, 25), True),
        (date(2025, 4, 26), True),
        (date(2025, 4, 27), False),
        (date(2025, 4, 28), True),
        (date(2025, 4, 29), True),
        (date(2025, 4, 30), False),
        (date(2025, 5, 1), False),
        (date(2025, 5, 2), False),
        (date(2025, 5, 5), True),
        # New Year 2026: 1-4 January off, Saturday 10 January worked.
        (date(2025, 12, 31), True),
        *[(date(2026, 1, d), False) for d in range(1, 5)],
        (date(2026, 1, 5), True),
        (date(2026, 1, 10), True),
        (date(2026, 1, 11), False),
        # National Day 2025 and 2026.
        (date(2025, 9, 1), False),
        (date(2025, 9, 2), False),
        (date(2025, 9, 3), True),
        (date(2026, 8, 22), True),
        (date(2026, 8, 31), False),
        (date(2026, 9, 1), False),
        (date(2026, 9, 2), False),
        (date(2026, 9, 3), True),
        # Ordinary days.
        (date(2025, 12, 6), False),
        (date(2025, 12, 7), False),
        (date(2025, 12, 8), True),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(OFFICE, day) is working


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 2), True),
        (date(2026, 1, 10), False),
        (date(2025, 4, 26), False),
        (date(2025, 5, 2), False),
    ],
)
def test_swaps_come_from_the_office_overrides(day: date, working: bool) -> None:
    assert is_working_day(BARE, day) is working


def test_overrides_win_over_statutory_holidays() -> None:
    cal = Calendar(
        seasons=NORTHERN_SEASONS,
        extra_working_days=frozenset({date(2026, 11, 24)}),
        extra_days_off=frozenset({date(2026, 11, 23)}),
    )
    assert is_working_day(cal, date(2026, 11, 24))
    assert hours_on(cal, date(2026, 11, 24)) == WINTER
    assert not is_working_day(cal, date(2026, 11, 23))
    assert hours_on(cal, date(2026, 11, 23)) == ()


def test_statutory_holidays_can_be_left_out() -> None:
    cal = Calendar(seasons=NORTHERN_SEASONS, include_statutory_holidays=False)
    assert is_working_day(cal, date(2026, 2, 17))
    assert not is_working_day(cal, date(2026, 2, 21))


def test_government_swaps_are_weekday_for_saturday() -> None:
    for swap in VN_GOVERNMENT_SWAPS:
        assert MONDAY <= swap.day_off.weekday() <= FRIDAY, swap
        assert swap.worked_on.weekday() == SATURDAY, swap


def test_apply_swaps_keeps_existing_overrides() -> None:
    cal = Calendar(seasons=NORTHERN_SEASONS, extra_days_off=frozenset({date(2025, 3, 3)}))
    swapped = apply_swaps(cal, [WorkdaySwap(date(2025, 3, 7), date(2025, 3, 8))])
    assert swapped.extra_days_off == {date(2025, 3, 3), date(2025, 3, 7)}
    assert swapped.extra_working_days == {date(2025, 3, 8)}
    assert cal.extra_working_days == frozenset()


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (date(2025, 10, 15), SUMMER),  # Wednesday, last summer day
        (date(2025, 10, 16), WINTER),  # Thursday, first winter day
        (date(2025, 12, 31), WINTER),
        (date(2026, 4, 15), WINTER),  # Wednesday, last winter day
        (date(2026, 4, 16), SUMMER),  # Thursday, first summer day
        (date(2024, 2, 29), WINTER),
        (date(2025, 7, 1), SUMMER),
        (date(2026, 1, 10), WINTER),  # make-up Saturday: a weekday's hours
        (date(2025, 4, 26), SUMMER),  # make-up Saturday in the summer season
        (date(2026, 1, 11), ()),
        (date(2026, 2, 17), ()),
        (date(2026, 1, 2), ()),
    ],
)
def test_hours_on(day: date, hours: tuple[Session, ...]) -> None:
    assert hours_on(OFFICE, day) == hours


@pytest.mark.parametrize(
    ("day", "hours", "working"),
    [
        (date(2025, 12, 6), SATURDAY_MORNING, False),  # open, but not a working day
        (date(2027, 5, 1), (), False),  # Saturday that is a holiday: closed
        (date(2026, 2, 14), SATURDAY_MORNING, False),  # not a holiday in any source
        (date(2026, 1, 10), WINTER, True),  # make-up Saturday: a full weekday
        (date(2025, 12, 8), WINTER, True),
    ],
)
def test_saturday_morning_sessions(day: date, hours: tuple[Session, ...], working: bool) -> None:
    cal = _with_saturday_morning()
    assert hours_on(cal, day) == hours
    assert is_working_day(cal, day) is working


@pytest.mark.parametrize(
    ("moment", "is_open", "reason", "next_opening"),
    [
        # Monday 7/12/2026, winter hours 07:30-12:00, 13:00-16:30, walk-ins stop 15 min early.
        (datetime(2026, 12, 7, 0, 5), False, "before_opening", datetime(2026, 12, 7, 7, 30)),
        (datetime(2026, 12, 7, 7, 29), False, "before_opening", datetime(2026, 12, 7, 7, 30)),
        (datetime(2026, 12, 7, 7, 30), True, None, None),
        (datetime(2026, 12, 7, 12, 30), True, None, None),  # the lunch break: take a number
        (datetime(2026, 12, 7, 16, 14), True, None, None),
        (datetime(2026, 12, 7, 16, 15), False, "after_stop", datetime(2026, 12, 8, 7, 30)),
        (datetime(2026, 12, 7, 23, 59), False, "after_stop", datetime(2026, 12, 8, 7, 30)),
        # Friday after the stop, and the night of a Sunday: Monday morning.
        (datetime(2026, 12, 4, 16, 20), False, "after_stop", datetime(2026, 12, 7, 7, 30)),
        (datetime(2026, 12, 6, 1, 11), False, "day_closed", datetime(2026, 12, 7, 7, 30)),
        # Vietnam Culture Day (Tuesday 24/11/2026) is a holiday: closed all day.
        (datetime(2026, 11, 24, 9, 0), False, "day_closed", datetime(2026, 11, 25, 7, 30)),
        # New Year 2026: 1/1 holiday, 2/1 swapped off, 3/1 Saturday; the make-up Saturday
        # 10/1 opens with Monday's hours.
        (datetime(2026, 1, 1, 9, 0), False, "day_closed", datetime(2026, 1, 5, 7, 30)),
        (datetime(2026, 1, 9, 16, 30), False, "after_stop", datetime(2026, 1, 10, 7, 30)),
        (datetime(2026, 1, 10, 9, 0), True, None, None),
        # Summer: 07:00-11:30, 13:30-17:00.
        (datetime(2026, 6, 1, 16, 44), True, None, None),
        (datetime(2026, 6, 1, 16, 45), False, "after_stop", datetime(2026, 6, 2, 7, 0)),
    ],
)
def test_walk_in_gate_follows_the_calendar(
    moment: datetime, is_open: bool, reason: str | None, next_opening: datetime | None
) -> None:
    gate = walk_in_gate(OFFICE, 15, moment)
    assert (gate.open, gate.reason, gate.next_opening) == (is_open, reason, next_opening)


def test_a_walk_in_stop_longer_than_the_day_never_opens() -> None:
    gate = walk_in_gate(OFFICE, 10 * 60 + 1, datetime(2026, 12, 7, 9, 0))
    assert (gate.open, gate.reason, gate.next_opening) == (False, "day_closed", None)
    assert next_walk_in_opening(OFFICE, 0, datetime(2026, 12, 7, 9, 0)) == datetime(
        2026, 12, 8, 7, 30
    )


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2025, 12, 1, 7, 29), False),
        (datetime(2025, 12, 1, 7, 30), True),
        (datetime(2025, 12, 1, 11, 59), True),
        (datetime(2025, 12, 1, 12, 0), False),
        (datetime(2025, 12, 1, 12, 30), False),
        (datetime(2025, 12, 1, 13, 0), True),
        (datetime(2025, 12, 1, 16, 29), True),
        (datetime(2025, 12, 1, 16, 30), False),
        (datetime(2025, 6, 2, 7, 0), True),
        (datetime(2025, 6, 2, 11, 45), False),
        (datetime(2025, 6, 2, 13, 15), False),
        (datetime(2025, 6, 2, 16, 45), True),
        (datetime(2026, 2, 17, 10, 0), False),
        (datetime(2026, 1, 10, 9, 0), True),
        (datetime(2026, 1, 3, 9, 0), False),
    ],
)
def test_is_open_at(moment: datetime, is_open: bool) -> None:
    assert is_open_at(OFFICE, moment) is is_open


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 12, 1), date(2025, 12, 2)),
        (date(2025, 12, 5), date(2025, 12, 8)),
        (date(2026, 2, 13), date(2026, 2, 23)),
        (date(2026, 2, 17), date(2026, 2, 23)),
        (date(2025, 4, 25), date(2025, 4, 26)),
        (date(2025, 4, 29), date(2025, 5, 5)),
        (date(2025, 12, 31), date(2026, 1, 5)),
        (date(2026, 1, 9), date(2026, 1, 10)),
        (date(2026, 1, 10), date(2026, 1, 12)),
    ],
)
def test_next_working_day(day: date, expected: date) -> None:
    assert next_working_day(OFFICE, day) == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (datetime(2025, 12, 5, 14, 59), date(2025, 12, 5)),
        (datetime(2025, 12, 5, 15, 0), date(2025, 12, 8)),  # at the cut-off: next day
        (datetime(2025, 12, 6, 9, 0), date(2025, 12, 8)),  # Saturday
        (datetime(2026, 2, 16, 8, 0), date(2026, 2, 23)),  # Tết
        (datetime(2026, 1, 10, 8, 0), date(2026, 1, 10)),  # make-up Saturday
    ],
)
def test_receipt_day(received: datetime, expected: date) -> None:
    assert receipt_day(OFFICE, received) == expected


@pytest.mark.parametrize(
    ("received", "n", "expected"),
    [
        # The convention: the day of receipt is not counted.
        (datetime(2025, 12, 1, 10, 0), 2, date(2025, 12, 3)),  # Monday -> Wednesday
        (datetime(2025, 12, 5, 14, 0), 2, date(2025, 12, 9)),  # Friday 14:00 -> Tuesday
        (datetime(2025, 12, 5, 15, 30), 2, date(2025, 12, 10)),  # Friday 15:30 -> Wednesday
        (datetime(2025, 12, 5, 15, 0), 2, date(2025, 12, 10)),
        (datetime(2025, 12, 5, 14, 59, 59), 2, date(2025, 12, 9)),
        (datetime(2025, 12, 6, 9, 0), 2, date(2025, 12, 10)),  # Saturday -> from Monday
        (datetime(2025, 9, 2, 10, 0), 1, date(2025, 9, 4)),  # on a holiday
        # "Không chờ": the same working day.
        (datetime(2025, 12, 1, 10, 0), 0, date(2025, 12, 1)),
        (datetime(2025, 12, 1, 16, 0), 0, date(2025, 12, 2)),
        (datetime(2025, 12, 6, 10, 0), 0, date(2025, 12, 8)),
        (datetime(2026, 2, 17, 10, 0), 0, date(2026, 2, 23)),
        # Land-use certificate, 20 working days across Tết 2026 (2 March without Tết).
        (datetime(2026, 2, 2, 9, 0), 20, date(2026, 3, 9)),
        # Across New Year 2026 and its make-up Saturday.
        (datetime(2025, 12, 31, 10, 0), 2, date(2026, 1, 6)),
        (datetime(2026, 1, 9, 10, 0), 1, date(2026, 1, 10)),
        (datetime(2026, 1, 9, 10, 0), 2, date(2026, 1, 12)),
        # Across 30/4-1/5 2025.
        (datetime(2025, 4, 25, 10, 0), 2, date(2025, 4, 28)),
        (datetime(2025, 4, 29, 14, 0), 2, date(2025, 5, 6)),
        # Across the seasonal switch nothing changes: hours do not matter for counting.
        (datetime(2025, 10, 14, 10, 0), 3, date(2025, 10, 17)),
    ],
)
def test_add_working_days(received: datetime, n: int, expected: date) -> None:
    assert add_working_days(OFFICE, received, n) == expected


def test_add_working_days_with_another_cutoff() -> None:
    received = datetime(2025, 12, 5, 15, 30)
    assert add_working_days(OFFICE, received, 2, cutoff=time(16, 0)) == date(2025, 12, 9)
    assert add_working_days(OFFICE, received, 2, cutoff=time(11, 0)) == date(2025, 12, 10)


def test_add_working_days_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(OFFICE, datetime(2025, 12, 1, 10, 0), -1)


def _hours(a: str, b: str) -> DayHours:
    return DayHours((Session(time.fromisoformat(a), time.fromisoformat(b)),))


@pytest.mark.parametrize(
    ("seasons", "message"),
    [
        ((Season("a", (1, 1), (6, 30), {}),), "1/7 must be in exactly one season, found: none"),
        (
            (Season("a", (1, 1), (12, 31), {}), Season("b", (10, 16), (4, 15), {})),
            "1/1 must be in exactly one season, found: a, b",
        ),
        (
            (Season("winter", (10, 16), (4, 14), {}), Season("summer", (4, 16), (10, 15), {})),
            "15/4 must be in exactly one season, found: none",
        ),
        (
            (Season("winter", (10, 16), (2, 28), {}), Season("summer", (3, 1), (10, 15), {})),
            "29/2 must be in exactly one season",
        ),
    ],
)
def test_calendar_rejects_bad_seasons(seasons: tuple[Season, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Calendar(seasons=seasons)


def test_calendar_rejects_a_day_both_off_and_worked() -> None:
    day = date(2026, 1, 10)
    with pytest.raises(ValueError, match="2026-01-10"):
        Calendar(
            seasons=NORTHERN_SEASONS,
            extra_days_off=frozenset({day}),
            extra_working_days=frozenset({day}),
        )


def test_bad_hours_are_rejected() -> None:
    with pytest.raises(ValueError, match="start before it ends"):
        Session(time(12, 0), time(7, 30))
    with pytest.raises(ValueError, match="not overlap"):
        DayHours((Session(time(7, 30), time(12, 0)), Session(time(11, 0), time(16, 0))))
    with pytest.raises(ValueError, match="not a day of the year"):
        Season("x", (2, 30), (3, 1), {})
    with pytest.raises(ValueError, match=r"weekday must be 0\.\.6"):
        Season("x", (1, 1), (12, 31), {7: _hours("07:30", "12:00")})


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2026, 12, 4), 1, date(2026, 12, 7)),  # Friday -> Monday
        (date(2026, 12, 7), 3, date(2026, 12, 10)),  # Monday -> Thursday
        (date(2026, 12, 5), 1, date(2026, 12, 7)),  # from a Saturday: Monday
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year's Day is off
        (date(2026, 4, 24), 1, date(2026, 4, 28)),  # Hùng Kings' day (27/4) is off
    ],
)
def test_working_days_after(day: date, n: int, expected: date) -> None:
    assert working_days_after(BARE, day, n) == expected


def test_working_days_after_needs_one_day_at_least() -> None:
    with pytest.raises(ValueError):
        working_days_after(BARE, date(2026, 12, 4), 0)
