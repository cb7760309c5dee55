"""The kiosk in a real Chromium: fields, priority, the ticket shown, the QR code, and one
ticket per tap even when the network drops mid-request."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, Request, Route, ViewportSize

from queue_server import config as config_mod
from queue_server.services.auth import AuthService
from tests.conftest import OFFICE, ROOT, start_server

API = f"/api/v1/offices/{OFFICE}"
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport=PORTRAIT, has_touch=True)
    yield ctx
    await ctx.close()


async def open_counters(http: httpx.AsyncClient, staff: dict[str, str], *numbers: int) -> None:
    for n in numbers:
        r = await http.post(f"{API}/counters/{n}/open", headers=staff)
        assert r.status_code == 200, r.text


async def waiting(http: httpx.AsyncClient, staff: dict[str, str], lane: str) -> list[Any]:
    r = await http.get(f"{API}/queue", headers=staff)
    assert r.status_code == 200
    return list(r.json()["lanes"].get(lane, []))


async def kiosk(context: BrowserContext, server: str, query: str = "") -> Page:
    page = await context.new_page()
    await page.goto(f"{server}/kiosk/{OFFICE}{query}")
    # The stream's first snapshot triggers a refresh: wait until the page is live.
    await page.wait_for_function("() => document.querySelector('.field-meta').textContent")
    return page


def field(page: Page, code: str) -> Any:
    return page.locator(f'.field[data-code="{code}"]')


async def test_kiosk_issues_a_ticket_by_clicks(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], context: BrowserContext
) -> None:
    await open_counters(http, staff, 1)
    page = await kiosk(context, server)
    assert await page.title() == "Lấy số thứ tự · Trung tâm Phục vụ hành chính công phường Ba Đình"
    assert await page.text_content("h1") == "Chọn lĩnh vực cần giải quyết"
    assert await field(page, "HT").is_enabled()
    assert await field(page, "HT").locator(".field-meta").inner_text() == (
        "0 người đang chờ\nKhông phải chờ"
    )
    await field(page, "HT").click()
    assert await page.locator("#chosen-field").text_content() == "A · Hộ tịch"
    await page.click("text=Không ưu tiên")
    await page.wait_for_selector("#ticket-number:visible")
    shown = await page.text_content("#ticket-number")
    [ticket] = await waiting(http, staff, "HT")
    assert shown == ticket["number"] == "A001"
    assert ticket["priority"] is None
    assert await page.text_content("#ticket-field") == "Hộ tịch"
    assert await page.text_content("#ticket-ahead") == "0"
    assert await page.text_content("#ticket-wait") == "Sắp đến lượt"
    assert await page.is_hidden("#ticket-priority")
    assert await page.get_attribute("#ticket-qr", "src") == f"/t/{ticket['id']}/qr.svg"
    assert await page.evaluate("document.getElementById('ticket-qr').naturalWidth") > 0
    # A tap anywhere on the ticket goes back to the start, now showing one person waiting.
    await page.click(".ticket-label")
    await page.wait_for_selector(".screen-start:visible")
    await page.wait_for_function(
        "() => document.querySelector('.field[data-code=HT] .meta-waiting')"
        ".textContent === '1 người đang chờ'"
    )
    # A second ticket waits for the first: 12 minutes at the one open counter.
    await field(page, "HT").click()
    await page.click("text=Không ưu tiên")
    await page.wait_for_selector("#ticket-number:visible")
    assert await page.text_content("#ticket-number") == "A002"
    assert await page.text_content("#ticket-ahead") == "1"
    assert await page.text_content("#ticket-wait") == "khoảng 12 phút"


async def test_priority_step_and_printer_name(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], context: BrowserContext
) -> None:
    await open_counters(http, staff, 1)
    page = await context.new_page()
    await page.clock.install()
    await page.goto(f"{server}/kiosk/{OFFICE}?printer=kiosk-1")
    await field(page, "TP").click()
    labels = await page.locator(".priority").all_inner_texts()
    assert labels == [
        "Không ưu tiên",
        "Người cao tuổi",
        "Người khuyết tật",
        "Phụ nữ mang thai",
        "Người có công với cách mạng",
    ]
    # "Back" returns to the fields without issuing anything.
    await page.click("#back")
    await page.wait_for_selector(".screen-start:visible")
    assert await waiting(http, staff, "TP") == []
    await field(page, "TP").click()
    async with page.expect_response(lambda r: r.request.method == "POST") as answered:
        await page.click("text=Người cao tuổi")
    response = await answered.value
    request: Request = response.request
    assert request.post_data_json == {"field": "TP", "priority": "elderly", "printer": "kiosk-1"}
    assert response.status == 201
    queued = "print_job" in await response.json()
    await page.wait_for_selector("#ticket-number:visible")
    [ticket] = await waiting(http, staff, "TP")
    assert ticket["priority"] == "elderly" and ticket["class"] == "priority"
    assert await page.text_content("#ticket-number") == ticket["number"] == "E001"
    assert await page.text_content("#ticket-priority") == "Người cao tuổi"
    # "Take your ticket" only when the server queued a print job for it.
    assert await page.is_visible("text=Vui lòng nhận phiếu in bên dưới") == queued
    assert await page.text_content("#back-in") == "Tự động quay lại sau 10 giây"
    # It goes back to the start by itself after 10 s (the page's clock jumps ahead here).
    await page.clock.run_for(11_000)
    await page.wait_for_selector(".screen-start:visible", timeout=2000)


async def test_field_without_open_counter_is_unavailable_then_opens_live(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], context: BrowserContext
) -> None:
    await open_counters(http, staff, 1)
    page = await kiosk(context, server)
    dd = field(page, "DD")
    assert await dd.is_disabled()
    assert await dd.locator(".field-meta").inner_text() == "Chưa có quầy mở"
    await dd.click(force=True)
    assert await page.is_visible(".screen-start")
    # A counter serving DD opens: the kiosk follows the stream, no reload.
    await open_counters(http, staff, 4)
    await page.wait_for_function(
        "() => !document.querySelector('.field[data-code=DD]').disabled", timeout=3000
    )
    assert await dd.locator(".field-meta").inner_text() == "0 người đang chờ\nKhông phải chờ"


async def test_network_drop_during_issue_yields_one_ticket(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], context: BrowserContext
) -> None:
    await open_counters(http, staff, 1)
    page = await kiosk(context, server)
    keys: list[str | None] = []
    processed = asyncio.Event()
    release = asyncio.Event()

    async def flaky(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            # The server issues the ticket, then the answer is lost on the way back.
            response = await route.fetch()
            assert response.status == 201
            processed.set()
            await route.abort("connectionreset")
            return
        await release.wait()
        await route.continue_()

    await page.route(f"**{API}/tickets", flaky)
    await field(page, "HT").click()
    await page.click("text=Không ưu tiên")
    await asyncio.wait_for(processed.wait(), 5)
    await page.wait_for_selector("#network:visible", timeout=3000)
    assert await page.text_content("#network") == "Mất kết nối, đang thử lại…"
    release.set()
    await page.wait_for_selector("#ticket-number:visible")
    lane = await waiting(http, staff, "HT")
    assert len(lane) == 1
    assert await page.text_content("#ticket-number") == lane[0]["number"]
    assert len(keys) == 2 and keys[0] is not None and keys[0] == keys[1]
    # The next tap is a new ticket with a new key.
    await page.unroute(f"**{API}/tickets")
    await page.click("#done")
    await field(page, "HT").click()
    await page.click("text=Không ưu tiên")
    await page.wait_for_function("document.getElementById('ticket-number').textContent==='A002'")
    assert len(await waiting(http, staff, "HT")) == 2


async def test_qr_code_opens_the_status_page(
    server: str, http: httpx.AsyncClient, config: config_mod.Config, context: BrowserContext
) -> None:
    r = await http.post(f"{API}/tickets", json={"field": "CT"})
    ticket_id = r.json()["id"]
    page = await context.new_page()
    await page.set_viewport_size({"width": 400, "height": 400})
    await page.set_content(
        f'<body style="margin:0;background:#fff"><img src="{server}/t/{ticket_id}/qr.svg"'
        ' style="width:320px;height:320px;margin:40px"></body>'
    )
    await page.wait_for_function("document.images[0].complete && document.images[0].naturalWidth")
    png = await page.screenshot()
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == f"{server}/t/{ticket_id}"  # no server.public_url: the address used


@pytest.fixture
def closed_kiosk_server(r: Any, config: config_mod.Config) -> Iterator[str]:
    """A server whose office issues tickets only to a kiosk device or staff."""
    office = dataclasses.replace(config.offices[0], open_kiosk=False)
    thread = start_server(dataclasses.replace(config, offices=(office,)))
    yield thread.start()
    thread.stop()


async def test_device_token_from_the_kiosk_url(
    closed_kiosk_server: str, auth: AuthService, staff: dict[str, str], context: BrowserContext
) -> None:
    server = closed_kiosk_server
    token = await auth.add_device("kiosk-cua-chinh", "kiosk", OFFICE)
    async with httpx.AsyncClient(base_url=server) as http:
        await open_counters(http, staff, 1)
        page = await kiosk(context, server)
        # Without the token the server refuses, and the kiosk says so and issues nothing.
        await field(page, "HT").click()
        await page.click("text=Không ưu tiên")
        await page.wait_for_selector("#failed:visible")
        assert await waiting(http, staff, "HT") == []
        page = await kiosk(context, server, f"?token={token}")
        # The language switch keeps the token.
        assert token in str(await page.get_attribute(".kiosk-lang", "href"))
        async with page.expect_request(lambda r: r.method == "POST") as posted:
            await field(page, "HT").click()
            await page.click("text=Không ưu tiên")
        assert (await posted.value).headers["authorization"] == f"Bearer {token}"
        await page.wait_for_selector("#ticket-number:visible")
        [ticket] = await waiting(http, staff, "HT")
        assert await page.text_content("#ticket-number") == ticket["number"]


async def fits(page: Page) -> None:
    """The screen needs no scrolling, and no text spills out of its button."""
    size = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    viewport = page.viewport_size
    assert viewport is not None
    assert size[0] <= viewport["width"] and size[1] <= viewport["height"], size
    spilled = await page.evaluate(
        """() => [...document.querySelectorAll(
                 '.field-name, .field-meta, .priority, h1, .ticket-field, .ticket-facts dd')]
             .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1)
             .map(e => e.textContent)"""
    )
    assert spilled == []


async def test_layout_and_screenshots(
    server: str,
    http: httpx.AsyncClient,
    staff: dict[str, str],
    browser: Browser,
    tmp_path: Path,
) -> None:
    """Both orientations fit the screen with nothing cut off. With SOTHUTU_SCREENSHOTS=1 the
    pictures go to docs/screenshots/ for the README."""
    out = ROOT / "docs" / "screenshots" if os.environ.get("SOTHUTU_SCREENSHOTS") else tmp_path
    await open_counters(http, staff, 1, 2, 3)  # DD and LD stay without a counter
    for _ in range(6):
        await http.post(f"{API}/tickets", json={"field": "HT"})
    for _ in range(3):
        await http.post(f"{API}/tickets", json={"field": "CT"})
    await http.post(f"{API}/tickets", json={"field": "LD", "priority": "disabled"})
    for size in (PORTRAIT, LANDSCAPE):
        name = f"{size['width']}x{size['height']}"
        ctx = await browser.new_context(viewport=size, has_touch=True)
        page = await kiosk(ctx, server)
        await page.screenshot(path=out / f"kiosk-start-{name}.png")
        # Every field and the whole start screen fit without scrolling.
        await fits(page)
        await field(page, "HT").click()
        await page.screenshot(path=out / f"kiosk-priority-{name}.png")
        await fits(page)
        await page.click("text=Phụ nữ mang thai")
        await page.wait_for_selector("#ticket-number:visible")
        await page.wait_for_function("document.getElementById('ticket-qr').naturalWidth > 0")
        await page.screenshot(path=out / f"kiosk-ticket-{name}.png")
        await fits(page)
        await ctx.close()


async def test_english_kiosk(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], context: BrowserContext
) -> None:
    await open_counters(http, staff, 1)
    page = await kiosk(context, server, "?lang=en")
    assert await page.text_content("h1") == "Choose the service you need"
    assert await field(page, "HT").locator(".field-name").text_content() == "Civil status"
    assert await field(page, "DD").locator(".field-meta").inner_text() == "No counter is open"
    await field(page, "HT").click()
    await page.click("text=No priority")
    await page.wait_for_selector("#ticket-number:visible")
    assert await page.text_content(".ticket-label") == "Your number"
    assert await page.text_content("#ticket-wait") == "Very soon"
