"""Report figures against a generated history whose true values are computed directly."""

from __future__ import annotations

from collections import Counter as Tally
from datetime import date, time, timedelta
from typing import Any

from queue_server.services.appointments import AppointmentService
from queue_server.services.clock import FixedClock
from queue_server.services.notify import LogAdapter, OutboxSender
from queue_server.services.queue import QueueService
from queue_server.services.reports import ReportsService, figures
from queue_server.services.scheduler import Jobs
from queue_server.store import keys
from queue_server.store.aggregates import AggregateStore
from queue_server.store.bookings import BookingStore
from queue_server.store.outbox import Outbox
from queue_server.store.queue import QueueStore
from queue_server.store.schedule import ScheduleStore
from tests.reports import history
from tests.reports.conftest import BOOKINGS, DAYS, OFFICE, STAFF, expected, generate
from tests.reports.history import Visit, ms


async def _write(r: Any, visits: list[Visit]) -> None:
    events = history.events(OFFICE, visits, STAFF, BOOKINGS)
    # Tickets left waiting at closing are cancelled by the next morning's rollover, on the
    # next day but with their own day in the ticket (as rollover.lua does).
    for v in visits:
        if v.wait_s is None and not v.cancelled:
            at = ms(v.day + timedelta(days=1), time(7))
            issued = next(d for t, e, d in events if e == "ticket.issued" and
                          d["issued_at"] == str(v.issued_ms) and d["field"] == v.field)  # fmt: skip
            events.append((at, "ticket.cancelled", {**issued, "status": "cancelled"}))
    events.sort(key=lambda e: e[0])
    await history.write(r, OFFICE, events)


def _staff(v: Visit) -> str:
    return STAFF.get((v.day, v.counter), "")


async def test_figures_of_three_days_per_dimension(r: Any, reports: ReportsService) -> None:
    visits = generate(DAYS, per_day=60)
    await _write(r, visits)
    office = reports.offices.get(OFFICE)
    assert office is not None
    report = await reports.report(office, DAYS[0], DAYS[2])
    assert report.built_days == 3 and report.live_day is None

    assert figures(report.group("all")) == expected(visits, BOOKINGS)
    for field in ("HT", "CT", "DD"):
        mine = [v for v in visits if v.field == field]
        want = expected(mine, [b for b in BOOKINGS if b.field == field])
        assert figures(report.group(f"field:{field}")) == want, field
    called = [v for v in visits if v.wait_s is not None]
    for counter in (1, 2, 3, 4):
        want = {**expected([v for v in called if v.counter == counter]), "issued": 0}
        assert figures(report.group(f"counter:{counter}")) == want, counter
    for name in ("lan", "minh", "hoa", "tuan", ""):
        want = {**expected([v for v in called if _staff(v) == name]), "issued": 0}
        assert figures(report.group(f"staff:{name}")) == want, name
    for klass in ("normal", "elderly", "disabled"):
        mine = [v for v in visits if (v.priority or "normal") == klass]
        assert figures(report.group(f"class:{klass}")) == expected(mine), klass
    # The dimension lists follow the office's order; nobody was unassigned by mistake.
    assert [k for k, _ in report.dimension("field")] == ["HT", "CT", "DD"]
    assert [k for k, _ in report.dimension("counter")] == ["1", "2", "3", "4"]

    for day, agg in zip(DAYS, report.days, strict=True):
        assert agg["day"] == day.isoformat()
        mine = [v for v in visits if v.day == day]
        want = expected(mine, [b for b in BOOKINGS if b.day == day])
        assert figures(agg["groups"]["all"]) == want, day

    heat = [[0] * 24 for _ in range(7)]
    for v in visits:
        heat[v.day.weekday()][v.at.hour] += 1
    assert report.heatmap() == heat
    ratings = Tally(v.rating for v in visits if v.rating)
    assert report.group("all")["rated"] == [ratings[i] for i in range(1, 6)]
    reasons = Tally(("wait" if v.reason == "wait" else "other") for v in visits if v.reason)
    assert report.total["reasons"] == dict(reasons)
    assert {c["text"] for c in report.total["comments"]} == {"Phải đi lại nhiều lần"}


async def test_one_day_and_a_sub_range(r: Any, reports: ReportsService) -> None:
    visits = generate(DAYS, per_day=30, seed=11)
    await _write(r, visits)
    office = reports.offices.get(OFFICE)
    assert office is not None
    report = await reports.report(office, DAYS[1], DAYS[2])
    mine = [v for v in visits if v.day in DAYS[1:]]
    want = expected(mine, [b for b in BOOKINGS if b.day in DAYS[1:]])
    assert figures(report.group("all")) == want


async def test_closed_day_aggregate_equals_the_live_computation(r: Any, config: Any) -> None:
    day = DAYS[0]
    # Every ticket of this history ends within the day, so nothing is cancelled at closing.
    visits = [v for v in generate([day], per_day=50, seed=3) if v.wait_s is not None or v.cancelled]
    await history.write(r, OFFICE, history.events(OFFICE, visits, STAFF, BOOKINGS[:5]))
    from queue_server.services.offices import OfficeRegistry

    offices = OfficeRegistry(config)
    office = offices.get(OFFICE)
    assert office is not None
    evening = ReportsService(offices, AggregateStore(r), FixedClock(ms(day, time(21))))
    live = await evening.report(office, day, day)
    assert live.live_day == day.isoformat() and live.built_days == 0
    assert await r.exists(keys.day_aggregate(OFFICE, day.isoformat())) == 0

    later = ReportsService(
        offices, AggregateStore(r), FixedClock(ms(day + timedelta(days=1), time(8)))
    )
    closed = await later.report(office, day, day)
    assert closed.live_day is None and closed.built_days == 1
    assert closed.days == live.days
    (stored,) = await AggregateStore(r).get_many(OFFICE, [day.isoformat()])
    assert stored == await evening.fold(office, day, closed=False)
    assert figures(closed.group("all")) == expected(visits, BOOKINGS[:5])
    # Stored once: the next report reads it.
    again = await later.report(office, day, day)
    assert again.built_days == 0 and again.days == closed.days


async def test_waiting_ticket_counts_once_as_cancelled_after_closing(
    r: Any, reports: ReportsService
) -> None:
    left = Visit(DAYS[0], time(16, 50), "HT")
    served = Visit(DAYS[1], time(8), "HT", counter=1, wait_s=60, service_s=120)
    await _write(r, [left, served])
    office = reports.offices.get(OFFICE)
    assert office is not None
    report = await reports.report(office, DAYS[0], DAYS[1])
    first, second = (figures(a["groups"]["all"]) for a in report.days)
    assert (first["issued"], first["cancelled"]) == (1, 1)
    assert (second["issued"], second["served"], second["cancelled"]) == (1, 1, 0)


async def test_nightly_job_builds_the_last_closed_days(r: Any, reports: ReportsService) -> None:
    visits = generate(DAYS, per_day=10)
    await _write(r, visits)
    built = await reports.close_days(reports.clock.now_ms())
    assert built == 7  # the week before "today", empty days included
    for day in DAYS:
        assert await r.exists(keys.day_aggregate(OFFICE, day.isoformat())) == 1
    assert await reports.close_days(reports.clock.now_ms()) == 0
    office = reports.offices.get(OFFICE)
    assert office is not None
    report = await reports.report(office, DAYS[0], DAYS[2])
    assert report.built_days == 0
    assert figures(report.group("all")) == expected(visits, BOOKINGS)


async def test_range_reaching_into_the_future_stops_at_today(
    r: Any, reports: ReportsService
) -> None:
    office = reports.offices.get(OFFICE)
    assert office is not None
    today = reports.today(office)
    report = await reports.report(office, today - timedelta(days=1), date(2027, 1, 31))
    assert [a["day"] for a in report.days] == [
        (today - timedelta(days=1)).isoformat(),
        today.isoformat(),
    ]
    assert report.live_day == today.isoformat()


async def test_the_scheduler_tick_stores_yesterday(r: Any, config: Any) -> None:
    visits = generate(DAYS, per_day=10)
    await _write(r, visits)
    clock = FixedClock(ms(DAYS[2] + timedelta(days=1), time(0, 5)))
    queue = QueueService(config, QueueStore(r), clock)
    appointments = AppointmentService(config, BookingStore(r), queue, clock)
    jobs = Jobs(
        config, appointments, OutboxSender(Outbox(r), LogAdapter()), ScheduleStore(r),
        ReportsService(queue.offices, AggregateStore(r), clock),
    )  # fmt: skip
    await jobs.tick(clock.now_ms())
    stored = await AggregateStore(r).get_many(OFFICE, [d.isoformat() for d in DAYS])
    assert all(agg is not None for agg in stored)
    office = queue.office(OFFICE)
    assert stored[2] == await ReportsService(queue.offices, AggregateStore(r), clock).fold(
        office, DAYS[2], closed=True
    )


async def test_whole_months_come_from_their_roll_up(r: Any, reports: ReportsService) -> None:
    days = [date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 15), date(2026, 10, 31),
            date(2026, 11, 2)]  # fmt: skip
    visits = generate(days, per_day=25, seed=5)
    await history.write(r, OFFICE, history.events(OFFICE, visits, {}))
    office = reports.offices.get(OFFICE)
    assert office is not None
    first = await reports.report(office, date(2026, 9, 30), date(2026, 11, 18))
    assert await r.exists(keys.month_aggregate(OFFICE, "2026-10")) == 1
    assert await r.exists(keys.month_aggregate(OFFICE, "2026-11")) == 0  # not over yet
    assert await r.exists(keys.month_aggregate(OFFICE, "2026-09")) == 0  # not all in range
    assert figures(first.group("all")) == expected(visits)
    assert [a["day"] for a in first.days][:3] == ["2026-09-30", "2026-10-01", "2026-10-02"]
    assert len(first.days) == 50
    again = await reports.report(office, date(2026, 9, 30), date(2026, 11, 18))
    assert again.built_days == 0 and again.days == first.days
    assert again.total["groups"] == first.total["groups"]
    october = await reports.report(office, date(2026, 10, 1), date(2026, 10, 31))
    assert figures(october.group("all")) == expected([v for v in visits if v.day.month == 10])
    for field in ("HT", "CT", "DD"):
        mine = [v for v in visits if v.field == field]
        assert figures(first.group(f"field:{field}")) == expected(mine), field
