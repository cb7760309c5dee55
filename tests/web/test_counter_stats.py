"""What a counter did today, counted from the office event stream."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from queue_server.config import Config
from queue_server.services.clock import FixedClock
from queue_server.services.counter_stats import CounterStats, day_start_ms, summarise
from queue_server.services.queue import QueueService
from queue_server.store.events import EventLog
from tests.conftest import OFFICE

API = f"/api/v1/offices/{OFFICE}"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def ms(y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, s, tzinfo=HCM).timestamp() * 1000)


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (ms(2026, 11, 24, 9, 0), ms(2026, 11, 24, 0, 0)),
        (ms(2026, 11, 24, 0, 0), ms(2026, 11, 24, 0, 0)),
        (ms(2026, 11, 24, 23, 59, 59), ms(2026, 11, 24, 0, 0)),
        # 06:30 in Hanoi is still the previous evening in UTC: the office day counts.
        (ms(2026, 11, 25, 6, 30), ms(2026, 11, 25, 0, 0)),
    ],
)
def test_day_start_is_office_midnight(config: Config, now: int, start: int) -> None:
    office = config.office(OFFICE)
    assert office is not None
    assert day_start_ms(now, office) == start


def test_summarise_counts_only_this_counter_and_day() -> None:
    day = "2026-11-24"

    def ev(etype: str, counter: Any, started: int, finished: int, d: str = day) -> Any:
        data = {"counter": counter, "day": d, "started_at": started, "finished_at": finished}
        return etype, data

    events = [
        ev("ticket.finished", 1, 0, 120_000),
        ev("ticket.finished", "1", 1_000, 241_000),  # raw stream data holds strings
        ev("ticket.no_show", 1, 0, 5_000),
        ev("ticket.finished", 2, 0, 999_000),
        ev("ticket.finished", 1, 0, 999_000, d="2026-11-23"),
    ]
    assert summarise(events, 1, day).to_json() == {
        "counter": 1, "day": day, "served": 2, "no_show": 1, "avg_service_s": 180,
    }  # fmt: skip
    assert summarise([], 1, day).avg_service_s is None


async def test_counts_from_served_tickets(
    service: QueueService, clock: FixedClock, r: Any, config: Config
) -> None:
    office = config.office(OFFICE)
    assert office is not None
    for n in (1, 2):
        await service.counter_action(OFFICE, n, "open", "lan")
    for _ in range(4):
        await service.issue(OFFICE, "HT")
    # Counter 1: 300 s of service, then 100 s (called but never started: from the call).
    first = await service.call_next(OFFICE, 1)
    assert first is not None
    clock.advance(60)
    await service.step(first.id, "start", 1)
    clock.advance(300)
    await service.step(first.id, "finish", 1)
    second = await service.call_next(OFFICE, 1)
    assert second is not None
    clock.advance(100)
    await service.step(second.id, "finish", 1)
    third = await service.call_next(OFFICE, 1)
    assert third is not None
    await service.step(third.id, "no_show", 1)
    # Counter 2 serves one too; it is not counter 1's.
    other = await service.call_next(OFFICE, 2)
    assert other is not None
    await service.step(other.id, "finish", 2)

    stats = CounterStats(EventLog(r), clock)
    one = await stats.today(office, 1)
    assert (one.served, one.no_show, one.avg_service_s, one.day) == (2, 1, 200, "2026-11-24")
    two = await stats.today(office, 2)
    assert (two.served, two.no_show) == (1, 0)
    assert (await stats.today(office, 3)).served == 0
    # The next office day starts from zero.
    clock.advance(24 * 3600)
    tomorrow = await stats.today(office, 1)
    assert (tomorrow.served, tomorrow.no_show, tomorrow.avg_service_s) == (0, 0, None)


async def test_today_endpoint(http: httpx.AsyncClient, staff: dict[str, str]) -> None:
    path = f"{API}/counters/1/today"
    assert (await http.get(path)).status_code == 401
    res = await http.get(path, headers=staff)
    assert res.status_code == 200
    assert {k: res.json()[k] for k in ("counter", "served", "no_show", "avg_service_s")} == {
        "counter": 1, "served": 0, "no_show": 0, "avg_service_s": None,
    }  # fmt: skip
    await http.post(f"{API}/tickets", json={"field": "HT"})
    await http.post(f"{API}/counters/1/open", headers=staff)
    called = (await http.post(f"{API}/counters/1/call-next", headers=staff)).json()
    await http.post(f"/api/v1/tickets/{called['id']}/finish", headers=staff, json={"counter": 1})
    assert (await http.get(path, headers=staff)).json()["served"] == 1
    missing = await http.get(f"{API}/counters/42/today?lang=en", headers=staff)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"].startswith("no counter 42")
    bad = await http.get(f"{API}/counters/x1/today", headers=staff)
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "Tham số 'n' phải là số."
    # An office the clerk does not work in, known or not: 403 before any lookup.
    nowhere = await http.get("/api/v1/offices/nowhere/counters/1/today", headers=staff)
    assert nowhere.status_code == 403
