from __future__ import annotations

import math
import random
from collections import Counter as Tally
from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any

import pytest

from queue_server.config import Config
from queue_server.services.clock import FixedClock
from queue_server.services.offices import OfficeRegistry
from queue_server.services.reports import ReportsService
from queue_server.store.aggregates import AggregateStore
from tests.reports.history import Booking, Visit, ms

OFFICE = "phuong-ba-dinh"
DAYS = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)]  # Mon, Tue, Wed
# Which counters serve which of the generated fields.
COUNTERS = {"HT": (1, 2), "CT": (2, 3), "DD": (4,)}
STAFF = {
    (DAYS[0], 1): "lan",
    (DAYS[0], 2): "minh",
    (DAYS[0], 3): "hoa",
    (DAYS[1], 1): "minh",
    (DAYS[1], 2): "lan",
    (DAYS[1], 3): "hoa",
    (DAYS[1], 4): "tuan",
    (DAYS[2], 1): "lan",
    (DAYS[2], 2): "minh",
    (DAYS[2], 4): "tuan",
}  # fmt: skip  (counter 4 has nobody logged on the first day: "unknown staff")
TARGET_S = {"HT": 15 * 60, "CT": 10 * 60, "DD": 30 * 60}


def generate(days: list[date], per_day: int, seed: int = 7) -> list[Visit]:
    rnd = random.Random(seed)
    visits = []
    for day in days:
        for _ in range(per_day):
            field = rnd.choice(["HT", "HT", "CT", "DD"])
            minute = rnd.randrange(0, 8 * 60)
            at = time(7 + (30 + minute) // 60, (30 + minute) % 60, rnd.randrange(60))
            v = Visit(day, at, field, counter=rnd.choice(COUNTERS[field]),
                      priority=rnd.choice([None] * 4 + ["elderly", "disabled"]))  # fmt: skip
            fate = rnd.random()
            if fate < 0.75:
                level = rnd.choice([1, 1, 2, 2, 3, 4]) if rnd.random() < 0.7 else None
                reason = rnd.choice(["wait", "Phải đi lại nhiều lần"]) if level == 4 else ""
                v = replace(v, wait_s=rnd.randrange(0, 3600), service_s=rnd.randrange(60, 1800),
                            rating=level, reason=reason)  # fmt: skip
            elif fate < 0.85:
                v = replace(v, wait_s=rnd.randrange(0, 3600))
            elif fate < 0.95:
                v = replace(v, cancelled=True)
            visits.append(v)
    return visits


BOOKINGS = [
    Booking(DAYS[0], time(8), "appointment.booked", "visit", "HT"),
    Booking(DAYS[0], time(8, 5), "appointment.booked", "visit", "HT"),
    Booking(DAYS[0], time(8, 6), "appointment.booked", "visit", "CT"),
    Booking(DAYS[0], time(9), "appointment.checked_in", "visit", "HT"),
    Booking(DAYS[0], time(10), "appointment.no_show", "visit", "CT"),
    Booking(DAYS[1], time(8), "appointment.cancelled", "visit", "HT"),
    Booking(DAYS[1], time(9), "appointment.booked", "result", "DD"),
    Booking(DAYS[1], time(9, 30), "appointment.booked", "result", "DD"),
    Booking(DAYS[2], time(10), "appointment.rescheduled", "result", "DD"),
    Booking(DAYS[2], time(10, 5), "appointment.checked_in", "result", "DD"),
]


def p90_minutes(values_s: list[int]) -> int | None:
    if not values_s:
        return None
    ordered = sorted(values_s)
    return min(240, math.ceil(ordered[math.ceil(0.9 * len(ordered)) - 1] / 60))


def expected(visits: list[Visit], bookings: list[Booking] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """The figures of a group of visits, computed directly from their definitions."""
    called = [v for v in visits if v.wait_s is not None]
    served = [v for v in visits if v.served]
    ratings = Tally(v.rating for v in served if v.rating is not None)
    rated = sum(ratings.values())
    kinds = Tally((b.kind, b.etype) for b in bookings)
    results = kinds[("result", "appointment.booked")]
    late = kinds[("result", "appointment.rescheduled")]
    return {
        "issued": len(visits),
        "served": len(served),
        "no_show": sum(v.no_show for v in visits),
        "cancelled": sum(v.wait_s is None for v in visits),
        "avg_wait": round(sum(v.wait_s or 0 for v in called) / len(called) / 60, 1)
        if called else None,
        "p90_wait": p90_minutes([v.wait_s or 0 for v in called]),
        "avg_service": round(sum(v.service_s or 0 for v in served) / len(served) / 60, 1)
        if served else None,
        "p90_service": p90_minutes([v.service_s or 0 for v in served]),
        "service_level": round(100 * sum((v.wait_s or 0) <= TARGET_S[v.field] for v in served)
                               / len(served), 1) if served else None,
        "appt_booked": kinds[("visit", "appointment.booked")],
        "appt_kept": kinds[("visit", "appointment.checked_in")],
        "appt_no_show": kinds[("visit", "appointment.no_show")],
        "results": results,
        "results_late": late,
        "results_on_time": round(100 * max(0, results - late) / results, 1) if results else None,
        "rated": rated,
        "satisfaction": round(100 * (ratings[1] + ratings[2]) / rated, 1) if rated else None,
    }  # fmt: skip


@pytest.fixture
def reports(r: Any, config: Config) -> ReportsService:
    # Friday after the generated days, mid-morning.
    return ReportsService(
        OfficeRegistry(config),
        AggregateStore(r),
        FixedClock(ms(DAYS[2] + timedelta(days=2), time(10))),
    )
