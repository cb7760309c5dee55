"""The office's working-day calendar: opening hours, seasons, holidays and result dates.

Pure functions over frozen data: no clock, no I/O. Dates and datetimes are office-local wall
time (naive). Two notions are kept apart on purpose:

* a *working day* (ngày làm việc) is what legal processing times are counted in: the
  calendar's working weekdays (Monday-Friday), minus statutory holidays and the office's extra
  days off, plus the office's extra working days (the government's make-up Saturdays);
* *opening hours* say when the desk receives people. They may include a Saturday morning,
  which is still not a working day for result dates.

Example::

    cal = Calendar(seasons=NORTHERN_SEASONS)
    cal = apply_swaps(cal, VN_GOVERNMENT_SWAPS)
    add_working_days(cal, datetime(2026, 1, 9, 10, 0), 2)  # -> date(2026, 1, 12)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Literal

import holidays

MonthDay = tuple[int, int]

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)

# A calendar with no working day at all would make the searches below run forever.
_SEARCH_LIMIT_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class Session:
    """One opening period of a day, e.g. the morning 07:30-12:00. `end` is exclusive."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError(f"session must start before it ends: {self.start}-{self.end}")


@dataclass(frozen=True, slots=True)
class DayHours:
    """The sessions of one weekday, in order and not overlapping (the gap is the lunch break)."""

    sessions: tuple[Session, ...] = ()

    def __post_init__(self) -> None:
        for before, after in pairwise(self.sessions):
            if after.start < before.end:
                raise ValueError(
                    f"sessions must be in order and not overlap: "
                    f"{before.start}-{before.end} then {after.start}-{after.end}"
                )


@dataclass(frozen=True)
class Season:
    """Opening hours used from `start` to `end` (month, day), both inclusive.

    The range may wrap the new year, e.g. winter from (10, 16) to (4, 15). `weekdays` maps
    0=Monday .. 6=Sunday to that day's hours; a missing weekday is closed.
    """

    name: str
    start: MonthDay
    end: MonthDay
    weekdays: Mapping[int, DayHours]

    def __post_init__(self) -> None:
        for month_day in (self.start, self.end):
            _check_month_day(month_day)
        for weekday in self.weekdays:
            if not 0 <= weekday <= 6:
                raise ValueError(f"season {self.name!r}: weekday must be 0..6, got {weekday}")

    def covers(self, d: date) -> bool:
        month_day = (d.month, d.day)
        if self.start <= self.end:
            return self.start <= month_day <= self.end
        return month_day >= self.start or month_day <= self.end


@dataclass(frozen=True)
class Calendar:
    """One office's calendar.

    Every day of the year (29 February included) must fall in exactly one season.
    `extra_days_off` and `extra_working_days` are the office's overrides and win over
    everything else, statutory holidays included: that is how a manager enters the
    government's yearly swaps, or corrects the holidays package where it is wrong.
    """

    seasons: tuple[Season, ...]
    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    include_statutory_holidays: bool = True
    working_weekdays: frozenset[int] = frozenset({MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY})

    def __post_init__(self) -> None:
        both = self.extra_days_off & self.extra_working_days
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"dates both an extra day off and an extra working day: {listed}")
        if not self.working_weekdays or not self.working_weekdays <= set(range(7)):
            raise ValueError("working_weekdays must be a non-empty set of 0..6")
        # A leap year, so that 29 February is checked too.
        day = date(2000, 1, 1)
        while day.year == 2000:
            names = [season.name for season in self.seasons if season.covers(day)]
            if len(names) != 1:
                found = ", ".join(names) or "none"
                raise ValueError(
                    f"{day.day}/{day.month} must be in exactly one season, found: {found}"
                )
            day += timedelta(days=1)

    def season_on(self, d: date) -> Season:
        return next(season for season in self.seasons if season.covers(d))


@dataclass(frozen=True, slots=True)
class WorkdaySwap:
    """A government swap: `day_off` is not worked, `worked_on` (usually a Saturday) is."""

    day_off: date
    worked_on: date
    note: str = ""


def _check_month_day(month_day: MonthDay) -> None:
    month, day = month_day
    try:
        date(2000, month, day)
    except ValueError:
        raise ValueError(f"not a day of the year: {month_day}") from None


def _hours(*sessions: tuple[str, str]) -> DayHours:
    return DayHours(
        tuple(Session(time.fromisoformat(a), time.fromisoformat(b)) for a, b in sessions)
    )


def _weekdays(day_hours: DayHours) -> Mapping[int, DayHours]:
    return MappingProxyType(dict.fromkeys(range(MONDAY, SATURDAY), day_hours))


_WINTER_DAY = _hours(("07:30", "12:00"), ("13:00", "16:30"))
_SUMMER_DAY = _hours(("07:00", "11:30"), ("13:30", "17:00"))

# Demo data, as a config loader would build it: office hours in the north, winter from
# 16 October to 15 April, summer otherwise, Monday to Friday.
NORTHERN_SEASONS: tuple[Season, ...] = (
    Season("winter", (10, 16), (4, 15), _weekdays(_WINTER_DAY)),
    Season("summer", (4, 16), (10, 15), _weekdays(_SUMMER_DAY)),
)

# Office-editable data, not a rule: the government's yearly swaps for civil servants, which
# the holidays package does not have (or has only the day-off half of). The demo office is
# seeded with them; a manager adds each new year's swap in config. See docs/calendar.md.
VN_GOVERNMENT_SWAPS: tuple[WorkdaySwap, ...] = (
    WorkdaySwap(date(2025, 5, 2), date(2025, 4, 26), "30/4-1/5/2025"),
    WorkdaySwap(date(2026, 1, 2), date(2026, 1, 10), "Tết Dương lịch 2026, 12729/VPCP-KGVX"),
    WorkdaySwap(date(2026, 8, 31), date(2026, 8, 22), "Quốc khánh 2026"),
)


def apply_swaps(cal: Calendar, swaps: Iterable[WorkdaySwap]) -> Calendar:
    """Return `cal` with each swap's day off and make-up working day added to its overrides."""
    swaps = tuple(swaps)
    return dataclasses.replace(
        cal,
        extra_days_off=cal.extra_days_off | {swap.day_off for swap in swaps},
        extra_working_days=cal.extra_working_days | {swap.worked_on for swap in swaps},
    )


@functools.lru_cache(maxsize=64)
def statutory_holidays(year: int) -> Mapping[date, str]:
    """Vietnam's public holidays of `year` from the holidays package, with Vietnamese names.

    This includes the days the package computes in lieu of holidays on a weekend and the
    swapped days off it knows, but never the make-up working days of those swaps.
    """
    found = holidays.country_holidays("VN", years=year, language="vi")
    return MappingProxyType({day: str(name) for day, name in found.items() if day.year == year})


def is_working_day(cal: Calendar, d: date) -> bool:
    """Whether `d` counts as a working day (ngày làm việc) for result dates."""
    if d in cal.extra_days_off:
        return False
    if d in cal.extra_working_days:
        return True
    if cal.include_statutory_holidays and d in statutory_holidays(d.year):
        return False
    return d.weekday() in cal.working_weekdays


def hours_on(cal: Calendar, d: date) -> tuple[Session, ...]:
    """The desk's opening sessions on `d`; empty when it is closed.

    A day off (override or statutory holiday) is closed even if its weekday has hours. An
    extra working day that falls on a weekday which is not a working weekday (a make-up
    Saturday) gets the hours of the first working weekday of its season, Monday by default.
    """
    if d in cal.extra_days_off:
        return ()
    season = cal.season_on(d)
    if d in cal.extra_working_days and d.weekday() not in cal.working_weekdays:
        for weekday in sorted(cal.working_weekdays):
            day_hours = season.weekdays.get(weekday)
            if day_hours is not None and day_hours.sessions:
                return day_hours.sessions
        return ()
    if (
        d not in cal.extra_working_days
        and cal.include_statutory_holidays
        and d in statutory_holidays(d.year)
    ):
        return ()
    day_hours = season.weekdays.get(d.weekday())
    return day_hours.sessions if day_hours is not None else ()


def is_open_at(cal: Calendar, dt_local: datetime) -> bool:
    """Whether the desk is open at the local wall time `dt_local` (session ends exclusive)."""
    moment = dt_local.time()
    return any(s.start <= moment < s.end for s in hours_on(cal, dt_local.date()))


def walk_in_window(cal: Calendar, stop_minutes: int, d: date) -> tuple[datetime, datetime] | None:
    """When the kiosk issues walk-in tickets on `d`: from the first session's start until
    `stop_minutes` before the last session's end (through the lunch break: citizens may take
    a number then and wait). None on a closed day, or when the stop leaves no time at all."""
    sessions = hours_on(cal, d)
    if not sessions:
        return None
    opening = datetime.combine(d, sessions[0].start)
    stop = datetime.combine(d, sessions[-1].end) - timedelta(minutes=stop_minutes)
    return (opening, stop) if opening < stop else None


WalkInReason = Literal["before_opening", "after_stop", "day_closed"]


@dataclass(frozen=True, slots=True)
class WalkInGate:
    """Whether walk-in tickets are issued at a moment; when not, why and when they are next."""

    open: bool
    reason: WalkInReason | None = None
    next_opening: datetime | None = None


def walk_in_gate(cal: Calendar, stop_minutes: int, now: datetime) -> WalkInGate:
    """The walk-in gate at the local wall time `now`, from the calendar alone: the one truth
    the server sets the gate from at start-up and at each boundary."""
    today = walk_in_window(cal, stop_minutes, now.date())
    if today is not None and today[0] <= now < today[1]:
        return WalkInGate(True)
    reason: WalkInReason = "day_closed"
    if today is not None:
        reason = "before_opening" if now < today[0] else "after_stop"
    return WalkInGate(False, reason, next_walk_in_opening(cal, stop_minutes, now))


def next_walk_in_opening(cal: Calendar, stop_minutes: int, now: datetime) -> datetime | None:
    """The first moment after `now` at which walk-in tickets are issued again; None when the
    calendar has no opening within its search limit."""
    for offset in range(_SEARCH_LIMIT_DAYS):
        window = walk_in_window(cal, stop_minutes, now.date() + timedelta(days=offset))
        if window is not None and window[0] > now:
            return window[0]
    return None


def next_working_day(cal: Calendar, d: date) -> date:
    """The first working day strictly after `d`."""
    for offset in range(1, _SEARCH_LIMIT_DAYS):
        candidate = d + timedelta(days=offset)
        if is_working_day(cal, candidate):
            return candidate
    raise ValueError(f"no working day within {_SEARCH_LIMIT_DAYS} days after {d}")


def working_days_after(cal: Calendar, d: date, n: int) -> date:
    """The n-th working day after `d` (`d` itself not counted, whether or not it is one):
    a result promised for `d` and postponed by n working days. Promised for Friday and
    postponed by one working day: the Monday after, unless that is a day off."""
    if n < 1:
        raise ValueError(f"postpone by at least one working day, not {n}")
    for _ in range(n):
        d = next_working_day(cal, d)
    return d


def receipt_day(cal: Calendar, received: datetime, cutoff: time = time(15, 0)) -> date:
    """The working day a dossier counts as received on.

    That is the day itself when it is a working day and the time is before `cutoff`;
    otherwise (at or after the cut-off, or on a day that is not a working day, such as a
    Saturday with morning hours or a holiday) the next working day.
    """
    day = received.date()
    if is_working_day(cal, day) and received.time() < cutoff:
        return day
    return next_working_day(cal, day)


def add_working_days(cal: Calendar, start: datetime, n: int, cutoff: time = time(15, 0)) -> date:
    """The result date of a procedure taking `n` working days, received at `start`.

    As in Vietnamese practice the day of receipt is not counted: the result is the n-th
    working day after the receipt day (see `receipt_day`). So with n=2, received Monday
    10:00 gives Wednesday; Friday 14:00 gives Tuesday; Friday 15:30 counts as received on
    Monday and gives Wednesday. n=0 ("không chờ") gives the receipt day itself.
    """
    if n < 0:
        raise ValueError(f"number of working days must not be negative, got {n}")
    day = receipt_day(cal, start, cutoff)
    for _ in range(n):
        day = next_working_day(cal, day)
    return day
