"""The walk-in gate follows the calendar at every moment, also right after a start: a server
started at night, on a weekend or a holiday, or after the walk-in stop refuses walk-in
tickets with 409 `walk_in_closed`; one started in opening hours issues them."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from queue_server.config import Config
from queue_server.services.auth import AuthService
from queue_server.services.clock import FixedClock
from tests.conftest import OFFICE, start_server
from tests.manage.test_calendar import form_of
from tests.support.console import PASSWORD, Session, log_in

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
API = f"/api/v1/offices/{OFFICE}"


def at(*args: int) -> FixedClock:
    return FixedClock(int(datetime(*args).replace(tzinfo=TZ).timestamp() * 1000))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("moment", "status", "vi"),
    [
        # 01:11 on a Sunday: the report (A001 was issued).
        ((2026, 12, 6, 1, 11), 409,
         "Hôm nay không làm việc. Mời quay lại lúc 7:30 thứ Hai, 07/12."),
        ((2026, 12, 7, 6, 50), 409, "Chưa đến giờ lấy số. Mời quay lại lúc 7:30 hôm nay."),
        ((2026, 12, 7, 10, 0), 201, None),
        ((2026, 12, 7, 16, 20), 409,
         "Đã hết giờ lấy số hôm nay. Các số đã cấp vẫn được phục vụ."
         " Mời quay lại lúc 7:30 thứ Ba, 08/12."),
        # Vietnam Culture Day, a public holiday from 2026.
        ((2026, 11, 24, 9, 0), 409,
         "Hôm nay không làm việc. Mời quay lại lúc 7:30 thứ Tư, 25/11."),
        # The make-up Saturday of New Year 2026.
        ((2026, 1, 10, 9, 0), 201, None),
    ],
)  # fmt: skip
async def test_a_server_started_at_any_hour_follows_the_calendar(
    r: Any, config: Config, moment: tuple[int, ...], status: int, vi: str | None
) -> None:
    thread = start_server(config, at(*moment), calendar_gate=True)
    base = thread.start()
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            res = await http.post(f"{API}/tickets", json={"field": "HT"})
            assert res.status_code == status, res.text
            overview = (await http.get(f"{API}/overview")).json()
            if vi is None:
                assert overview["walk_in"]["open"] is True
                return
            assert res.json()["error"] == {"code": "walk_in_closed", "message": vi}
            # Nothing was issued: the queue is as it was.
            assert all(f["waiting"] == 0 for f in overview["fields"])
            assert overview["walk_in"]["open"] is False
            assert all(f["reason"] == "walk_in_closed" for f in overview["fields"])
            english = await http.post(
                f"{API}/tickets", json={"field": "HT"}, headers={"Accept-Language": "en"}
            )
            assert english.status_code == 409 and "Please come back at 7:30" in english.text
    finally:
        thread.stop()


async def test_a_restart_in_opening_hours_opens_the_gate(r: Any, config: Config) -> None:
    """The gate closed by a start before opening is opened by a start after it: each start
    sets the gate, not only the scheduler's boundaries."""
    clock = at(2026, 12, 7, 7, 29)
    for status in (409, 201):
        thread = start_server(config, clock, calendar_gate=True)
        base = thread.start()
        try:
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                res = await http.post(f"{API}/tickets", json={"field": "HT"})
                assert res.status_code == status, res.text
        finally:
            thread.stop()
        clock.advance(60)  # 07:30


async def test_a_day_off_added_for_today_closes_the_gate_at_once(
    r: Any, config: Config, auth: AuthService
) -> None:
    """A manager's change of the calendar moves the gate now, not at the next boundary
    (there is none left today once today is a day off)."""
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    thread = start_server(config, at(2026, 12, 7, 10, 0), calendar_gate=True)
    base = thread.start()
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            assert (await http.post(f"{API}/tickets", json={"field": "HT"})).status_code == 201
            manager = Session(http, await log_in(http, "hoa"))
            calendar = f"/manage/{OFFICE}/calendar"
            form = form_of((await manager.get(calendar)).text)
            form["extra_days_off"] = "07/12/2026"
            assert (await manager.post(f"{calendar}/save", form)).status_code == 303

            # Every process applies the change as it reads it from the stream of changes.
            deadline = asyncio.get_running_loop().time() + 10
            while (await http.get(f"{API}/overview")).json()["walk_in"]["open"]:
                assert asyncio.get_running_loop().time() < deadline, "the gate stayed open"
                await asyncio.sleep(0.05)
            res = await http.post(f"{API}/tickets", json={"field": "HT"})
            assert res.json()["error"]["message"] == (
                "Hôm nay không làm việc. Mời quay lại lúc 7:30 thứ Ba, 08/12."
            )
    finally:
        thread.stop()
