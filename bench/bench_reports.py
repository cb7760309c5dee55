"""Reports benchmark: a year of a large ward, aggregated and reported.

    .venv/bin/python bench/bench_reports.py [--tickets 60000] [--year 2026]

Starts its own embedded Redis, writes a year of office history to the event stream in the
shape the Lua scripts write (tests/reports/history.py: tickets issued, called, started,
finished or absent or cancelled, ratings, counters opened; stream ids at the instants the
events happened), then measures:

(a) the first year report, which folds every day's events into its stored aggregate;
(b) a year report once the aggregates exist (the figure that must stay under a second),
    and a month; with the page's tables and SVG charts, and the Excel export;
(c) the live fold of one busy day (what "today" costs on every report).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from queue_server import config as config_mod  # noqa: E402
from queue_server.office import Office  # noqa: E402
from queue_server.rules.calendar import hours_on  # noqa: E402
from queue_server.services.clock import FixedClock  # noqa: E402
from queue_server.services.offices import OfficeRegistry  # noqa: E402
from queue_server.services.reports import ReportsService  # noqa: E402
from queue_server.store import keys  # noqa: E402
from queue_server.store.aggregates import AggregateStore  # noqa: E402
from queue_server.store.connection import EmbeddedRedis, connect  # noqa: E402
from queue_server.web.manage import reports as report_pages  # noqa: E402
from tests.reports import history  # noqa: E402

OFFICE = "phuong-ba-dinh"
FIELDS = ["HT", "HT", "CT", "CT", "DD", "LD", "TP"]
COUNTERS = {"HT": (1, 2, 3), "CT": (2, 3), "DD": (4,), "LD": (5,), "TP": (1,)}
STAFF = ["lan", "minh", "hoa", "tuan", "mai", "nam", "thu"]


def year_of_visits(office: Office, year: int, tickets: int) -> list[history.Visit]:
    days = [
        date(year, 1, 1) + timedelta(days=i)
        for i in range(366)
        if (date(year, 1, 1) + timedelta(days=i)).year == year
        and hours_on(office.calendar, date(year, 1, 1) + timedelta(days=i))
    ]
    rnd = random.Random(2026)
    per_day = tickets // len(days)
    visits = []
    for day in days:
        for _ in range(per_day + (1 if rnd.random() < tickets % len(days) / len(days) else 0)):
            field = rnd.choice(FIELDS)
            minute = int(rnd.triangular(0, 8 * 60, 90))
            at = clock_time(7 + (30 + minute) // 60, (30 + minute) % 60, rnd.randrange(60))
            priority = rnd.choice([None] * 6 + ["elderly", "disabled"])
            counter = rnd.choice(COUNTERS[field])
            v = history.Visit(day, at, field, counter=counter, priority=priority)
            fate = rnd.random()
            if fate < 0.86:
                v = replace(
                    v, wait_s=int(rnd.expovariate(1 / 900)), service_s=rnd.randrange(120, 2400),
                    rating=rnd.choice([1, 1, 1, 2, 2, 3, 4]) if rnd.random() < 0.5 else None,
                )  # fmt: skip
            elif fate < 0.93:
                v = replace(v, wait_s=int(rnd.expovariate(1 / 900)))
            else:
                v = replace(v, cancelled=True)
            visits.append(v)
    return visits


def timed(label: str, seconds: float, results: list[tuple[str, str]]) -> None:
    results.append((label, f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:.1f} s"))
    print(f"{label}: {results[-1][1]}", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=60000)
    parser.add_argument("--year", type=int, default=2026)
    args = parser.parse_args()
    results: list[tuple[str, str]] = []

    config = config_mod.load(ROOT / "config.toml")
    office = config.offices[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    redis_server = EmbeddedRedis(tmp, appendfsync="no")
    redis_server.start()
    try:
        r: Any = connect(redis_server.url())
        await r.flushall()
        visits = year_of_visits(office, args.year, args.tickets)
        days = sorted({v.day for v in visits})
        staff = {(d, c): STAFF[(d.toordinal() + c) % len(STAFF)] for d in days for c in range(1, 6)}
        events = history.events(OFFICE, visits, staff)
        began = time.perf_counter()
        await history.write(r, OFFICE, events)
        timed(f"write {len(events):,} events ({len(visits):,} tickets, {len(days)} days)",
              time.perf_counter() - began, results)  # fmt: skip
        info = await r.memory_usage(keys.events(OFFICE))
        results.append(("event stream in Redis", f"{info / 2**20:.0f} MiB"))

        end = date(args.year, 12, 31)
        clock = FixedClock(int(history.ms(end + timedelta(days=1), clock_time(9))))
        offices = OfficeRegistry(config)
        reports = ReportsService(offices, AggregateStore(r), clock)
        start = date(args.year, 1, 1)

        began = time.perf_counter()
        first = await reports.report(office, start, end)
        timed(f"first year report (builds {first.built_days} day aggregates)",
              time.perf_counter() - began, results)  # fmt: skip
        sizes = [await r.strlen(keys.day_aggregate(OFFICE, d.isoformat())) for d in days]
        results.append(("day aggregate size (JSON)",
                        f"median {statistics.median(sizes) / 1024:.1f} KiB, "
                        f"year {sum(sizes) / 2**20:.1f} MiB"))  # fmt: skip

        runs = []
        for _ in range(7):
            began = time.perf_counter()
            year = await reports.report(office, start, end)
            runs.append(time.perf_counter() - began)
        assert year.built_days == 0
        timed("year report, aggregates stored (median of 7)", statistics.median(runs), results)
        timed("year report, slowest of 7", max(runs), results)

        began = time.perf_counter()
        tables = report_pages.tables(year, "vi")
        charts = report_pages.report_charts(year, "vi")
        timed("tables + SVG charts of the year (page)", time.perf_counter() - began, results)
        request_total = statistics.median(runs) + time.perf_counter() - began
        timed("year report + tables + charts", request_total, results)
        began = time.perf_counter()
        from openpyxl import Workbook

        book = Workbook()
        for table in tables:
            sheet = book.create_sheet(table.key)
            sheet.append(table.header)
            for row in table.rows:
                sheet.append(row)
        book.save(io.BytesIO())
        timed("Excel export of the year", time.perf_counter() - began, results)
        assert len(charts) == 4

        month_runs = []
        for _ in range(7):
            began = time.perf_counter()
            await reports.report(office, date(args.year, 11, 1), date(args.year, 11, 30))
            month_runs.append(time.perf_counter() - began)
        timed("month report (median of 7)", statistics.median(month_runs), results)

        busiest = max(days, key=lambda d: sum(v.day == d for v in visits))
        began = time.perf_counter()
        live = await reports.fold(office, busiest, closed=False)
        timed(f"live fold of the busiest day ({live['events']:,} events)",
              time.perf_counter() - began, results)  # fmt: skip

        total = year.group("all")
        print(f"check: issued {total['issued']} served {total['served']}")
        print("\n| measure | value |\n|---|---|")
        for label, value in results:
            print(f"| {label} | {value} |")
        await r.aclose()
    finally:
        redis_server.stop()


if __name__ == "__main__":
    asyncio.run(main())
