"""The kiosk and the walk-in gate in a real Chromium: past the walk-in stop every field is
grey at once, with the reason and the next opening; a kiosk left open greys live when the
gate closes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, expect

from queue_server.config import Config
from queue_server.services.appointments import AppointmentService
from queue_server.services.clock import FixedClock
from queue_server.services.notify import LogAdapter, OutboxSender
from queue_server.services.queue import QueueService
from queue_server.services.reports import ReportsService
from queue_server.services.scheduler import Jobs
from queue_server.store.aggregates import AggregateStore
from queue_server.store.bookings import BookingStore
from queue_server.store.outbox import Outbox
from queue_server.store.queue import QueueStore
from queue_server.store.schedule import ScheduleStore
from tests.browser.test_kiosk import LANDSCAPE, fits
from tests.conftest import OFFICE, start_server

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
API = f"/api/v1/offices/{OFFICE}"


def ms(*args: int) -> int:
    return int(datetime(*args).replace(tzinfo=TZ).timestamp() * 1000)  # type: ignore[arg-type]


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    yield ctx
    await ctx.close()


async def test_after_the_walk_in_stop_every_field_is_grey_with_the_next_opening(
    r: Any, config: Config, staff: dict[str, str], context: BrowserContext
) -> None:
    # Monday 7/12/2026 16:20: winter closing 16:30, walk-ins stop 15 minutes before.
    thread = start_server(config, FixedClock(ms(2026, 12, 7, 16, 20)), calendar_gate=True)
    server = thread.start()
    try:
        async with httpx.AsyncClient(base_url=server, timeout=10) as http:
            # A counter is open: the fields are grey for the hour, not for want of a counter.
            assert (await http.post(f"{API}/counters/1/open", headers=staff)).status_code == 200
        page = await context.new_page()
        await page.goto(f"{server}/kiosk/{OFFICE}")
        banner = page.locator("#walk-in-closed")
        await expect(banner).to_have_text(
            "Đã hết giờ lấy số hôm nay. Mời quay lại lúc 7:30 thứ Ba, 08/12."
        )
        fields = page.locator(".field")
        assert await fields.count() >= 3
        for i in range(await fields.count()):
            await expect(fields.nth(i)).to_be_disabled()
            await expect(fields.nth(i).locator(".field-meta")).to_have_text("Ngoài giờ lấy số")
        # A tap does nothing: no priority screen, no request.
        await fields.first.click(force=True)
        await expect(page.locator("#kiosk")).to_have_attribute("data-screen", "start")
        # The appointment check-in stays open: booked citizens are still served.
        await expect(page.locator("a.appointment")).to_be_visible()
        # The line above the fields costs no scrolling, standing or lying.
        await fits(page)
        await page.set_viewport_size(LANDSCAPE)
        await fits(page)
        page = await context.new_page()
        await page.goto(f"{server}/kiosk/{OFFICE}?lang=en")
        await expect(page.locator("#walk-in-closed")).to_have_text(
            "No more tickets are issued today. Please come back at 7:30 on Tuesday, 08/12."
        )
    finally:
        thread.stop()


async def test_an_open_kiosk_greys_live_when_the_gate_closes(
    r: Any, config: Config, staff: dict[str, str], context: BrowserContext
) -> None:
    clock = FixedClock(ms(2026, 12, 7, 16, 14))
    thread = start_server(config, clock, calendar_gate=True)
    server = thread.start()
    try:
        async with httpx.AsyncClient(base_url=server, timeout=10) as http:
            assert (await http.post(f"{API}/counters/1/open", headers=staff)).status_code == 200
        page = await context.new_page()
        await page.goto(f"{server}/kiosk/{OFFICE}")
        ht = page.locator('.field[data-code="HT"]')
        await expect(ht).to_be_enabled()
        await expect(page.locator("#walk-in-closed")).to_be_hidden()
        # The scheduler's tick at the stop, as the server's own runner would make it.
        queue = QueueService(config, QueueStore(r), clock)
        appointments = AppointmentService(config, BookingStore(r), queue, clock)
        jobs = Jobs(
            config, appointments, OutboxSender(Outbox(r), LogAdapter()), ScheduleStore(r),
            ReportsService(queue.offices, AggregateStore(r), clock),
        )  # fmt: skip
        await jobs.day_transitions(clock.ms)
        clock.advance(60)
        await jobs.day_transitions(clock.ms)
        await expect(ht).to_be_disabled()
        await expect(page.locator("#walk-in-closed")).to_have_text(
            "Đã hết giờ lấy số hôm nay. Mời quay lại lúc 7:30 thứ Ba, 08/12."
        )
        await expect(page.locator('.field[data-code="CT"]')).to_be_disabled()
    finally:
        thread.stop()
