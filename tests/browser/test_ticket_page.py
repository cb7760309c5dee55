"""The citizen's ticket status page on a phone, in a real Chromium: live place in line, the
counter when called, a clear end, cancelling, and a friendly page for a wrong link."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, WebSocket

from tests.conftest import OFFICE, ROOT

API = f"/api/v1/offices/{OFFICE}"
PHONE: ViewportSize = {"width": 360, "height": 740}
SOCKETS: dict[Page, list[WebSocket]] = {}


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield ctx
    await ctx.close()


async def issue(http: httpx.AsyncClient, field: str = "HT", priority: str | None = None) -> Any:
    body = {"field": field} | ({"priority": priority} if priority else {})
    r = await http.post(f"{API}/tickets", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def post(http: httpx.AsyncClient, path: str, staff: dict[str, str]) -> Any:
    r = await http.post(path, headers=staff, json={})
    assert r.status_code == 200, r.text
    return r.json()


async def ticket_page(phone: BrowserContext, server: str, ticket_id: str) -> Page:
    page = await phone.new_page()
    page.on("websocket", lambda ws: SOCKETS.setdefault(page, []).append(ws))
    await page.goto(f"{server}/t/{ticket_id}")
    # Live once the stream's snapshot has led to a first refetch.
    await page.wait_for_function(
        "document.getElementById('live-text').textContent.startsWith('Cập nhật lúc')"
    )
    return page


async def fits(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]


async def test_page_follows_the_ticket_until_it_is_served(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], phone: BrowserContext
) -> None:
    await post(http, f"{API}/counters/1/open", staff)
    first = await issue(http)
    mine = await issue(http)
    page = await ticket_page(phone, server, mine["id"])
    assert await page.title() == "A002 · Số thứ tự của bạn"
    assert await page.text_content("#number") == "A002"
    assert await page.text_content(".tk-field") == "Hộ tịch"
    assert await page.text_content("#status") == "Đang chờ"
    assert await page.text_content("#ahead") == "1"
    assert await page.text_content("#wait") == "khoảng 12 phút"
    assert await page.is_hidden("#call")
    assert await page.is_visible("#cancel")

    # The counter calls the first ticket: one fewer ahead, within a second.
    await post(http, f"{API}/counters/1/call-next", staff)
    started = time.monotonic()
    await page.wait_for_function(
        "document.getElementById('ahead').textContent === '0'", timeout=1500
    )
    assert time.monotonic() - started < 1.5
    assert await page.text_content("#wait") == "Sắp đến lượt"

    await post(http, f"/api/v1/tickets/{first['id']}/start", staff)
    await post(http, f"/api/v1/tickets/{first['id']}/finish", staff)
    called = await post(http, f"{API}/counters/1/call-next", staff)
    assert called["id"] == mine["id"]
    started = time.monotonic()
    await page.wait_for_selector("#call:visible", timeout=1500)
    assert time.monotonic() - started < 1.5
    assert await page.text_content("#call-lead") == "Mời bạn đến"
    assert await page.text_content("#call-counter") == "Quầy 1"
    assert await page.text_content("#status") == "Đã đến lượt"
    assert await page.is_hidden("#facts")
    assert await page.is_hidden("#cancel")

    await post(http, f"/api/v1/tickets/{mine['id']}/start", staff)
    await page.wait_for_function(
        "document.getElementById('call-lead').textContent === 'Bạn đang được phục vụ tại'"
    )
    await post(http, f"/api/v1/tickets/{mine['id']}/finish", staff)
    await page.wait_for_selector("#final:visible", timeout=1500)
    assert await page.text_content("#status") == "Đã hoàn thành"
    assert await page.text_content("#final-text") == "Cảm ơn bạn đã sử dụng dịch vụ."
    assert await page.is_hidden("#call")
    assert await page.is_hidden("#live")
    # The page stopped following the office: its socket is closed.
    [socket] = SOCKETS.pop(page)
    if not socket.is_closed():
        await socket.wait_for_event("close", timeout=2000)


async def test_a_finished_ticket_opens_in_its_final_state(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], phone: BrowserContext
) -> None:
    await post(http, f"{API}/counters/1/open", staff)
    mine = await issue(http)
    await post(http, f"{API}/counters/1/call-next", staff)
    await post(http, f"/api/v1/tickets/{mine['id']}/no-show", staff)
    page = await phone.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    await page.goto(f"{server}/t/{mine['id']}")
    assert await page.text_content("#status") == "Đã qua lượt"
    assert "không có mặt" in str(await page.text_content("#final-text"))
    assert await page.is_hidden("#cancel") and await page.is_hidden("#facts")
    assert sockets == []


async def test_cancel_with_confirmation(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], phone: BrowserContext
) -> None:
    mine = await issue(http, "CT", "pregnant")
    page = await ticket_page(phone, server, mine["id"])
    assert await page.text_content(".tk-priority") == "Ưu tiên: Phụ nữ mang thai"
    await page.click("#cancel")
    assert await page.is_visible("#confirm")
    await page.click("text=Giữ số")
    assert await page.is_hidden("#confirm")
    r = await http.get(f"/api/v1/tickets/{mine['id']}")
    assert r.json()["status"] == "waiting"
    await page.click("#cancel")
    await page.click("#confirm-yes")
    await page.wait_for_selector("#final:visible", timeout=2000)
    assert await page.text_content("#status") == "Đã hủy"
    r = await http.get(f"/api/v1/tickets/{mine['id']}")
    assert r.json()["status"] == "cancelled"


async def test_unknown_ticket_is_a_friendly_page(server: str, phone: BrowserContext) -> None:
    page = await phone.new_page()
    response = await page.goto(f"{server}/t/{OFFICE}.khongtontai123")
    assert response is not None and response.status == 404
    assert await page.text_content("h1") == "Không tìm thấy số thứ tự"
    await fits(page)
    await page.click("text=English")
    assert await page.text_content("h1") == "Ticket not found"


async def test_english_page(server: str, http: httpx.AsyncClient, phone: BrowserContext) -> None:
    mine = await issue(http)
    page = await phone.new_page()
    await page.goto(f"{server}/t/{mine['id']}?lang=en")
    assert await page.text_content("#status") == "Waiting"
    assert await page.text_content(".tk-field") == "Civil status"
    assert await page.text_content("#cancel") == "Cancel my number"


async def test_layout_and_screenshots(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], phone: BrowserContext,
    tmp_path: Path,
) -> None:  # fmt: skip
    """Fits a 360 px phone. With SOTHUTU_SCREENSHOTS=1 the pictures go to docs/screenshots/."""
    out = ROOT / "docs" / "screenshots" if os.environ.get("SOTHUTU_SCREENSHOTS") else tmp_path
    await post(http, f"{API}/counters/3/open", staff)
    for _ in range(4):
        await issue(http, "CT")
    mine = await issue(http, "CT")
    page = await ticket_page(phone, server, mine["id"])
    await fits(page)
    await page.screenshot(path=out / "ticket-waiting-360x740.png")
    await page.click("#cancel")
    await page.screenshot(path=out / "ticket-confirm-360x740.png")
    await page.click("text=Giữ số")
    for _ in range(4):
        t = await post(http, f"{API}/counters/3/call-next", staff)
        await post(http, f"/api/v1/tickets/{t['id']}/no-show", staff)
    await post(http, f"{API}/counters/3/call-next", staff)
    await page.wait_for_selector("#call:visible")
    await fits(page)
    # The arrival pulse is finished, not caught halfway.
    await page.screenshot(path=out / "ticket-called-360x740.png", animations="disabled")
    missing = await phone.new_page()
    await missing.goto(f"{server}/t/{OFFICE}.khongtontai123")
    await fits(missing)
    await missing.screenshot(path=out / "ticket-notfound-360x740.png")


async def test_transfer_to_another_field_shows_on_the_page(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], phone: BrowserContext
) -> None:
    mine = await issue(http, "HT")
    page = await ticket_page(phone, server, mine["id"])
    assert await page.text_content("#field") == "Hộ tịch"
    r = await http.post(
        f"/api/v1/tickets/{mine['id']}/transfer", headers=staff, json={"field": "CT"}
    )
    assert r.status_code == 200, r.text
    await page.wait_for_function(
        "document.getElementById('field').textContent === 'Chứng thực'", timeout=1500
    )
    assert await page.text_content("#number") == mine["number"]
    assert await page.text_content("#status") == "Đang chờ"
