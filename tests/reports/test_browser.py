"""The rating flow in real Chromium: the counter tablet and the phone page."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, ViewportSize

from queue_server.services.auth import AuthService
from queue_server.store import keys
from tests.browser.conftest import browser  # noqa: F401  (the fixture)
from tests.conftest import OFFICE

pytestmark = pytest.mark.browser
API = f"/api/v1/offices/{OFFICE}"
TABLET = ViewportSize(width=1280, height=800)


async def _finish(http: httpx.AsyncClient, staff: dict[str, str]) -> dict[str, Any]:
    ticket: dict[str, Any] = (await http.post(f"{API}/tickets", json={"field": "HT"})).json()
    await http.post(f"{API}/counters/1/open", headers=staff)
    assert (await http.post(f"{API}/counters/1/call-next", headers=staff)).json()["id"] == (
        ticket["id"]
    )
    assert (await http.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=staff)).is_success
    return ticket


async def _ratings(r: Any) -> list[dict[str, Any]]:
    entries = await r.xrange(keys.events(OFFICE))
    return [json.loads(f["data"]) for _, f in entries if f["type"] == "ticket.rated"]


async def test_counter_tablet_rates_a_finished_ticket(
    server: str,
    http: httpx.AsyncClient,
    staff: dict[str, str],
    auth: AuthService,
    r: Any,
    browser: Browser,  # noqa: F811
) -> None:
    token = await auth.add_device("tablet-quay-1", "display", OFFICE)
    page = await browser.new_page(viewport=TABLET)
    await page.goto(f"{server}/rate/{OFFICE}/1?token={token}&idle=2")
    await page.wait_for_selector(".rt-idle:visible")
    assert await page.text_content(".rt-idle h1") == "Xin mời đánh giá sau khi được phục vụ"
    await page.wait_for_timeout(300)  # the socket is up (its snapshot came)

    ticket = await _finish(http, staff)
    shown = time.monotonic()
    await page.wait_for_selector(".rt-ask:visible", timeout=1000)
    assert time.monotonic() - shown < 1.0
    assert await page.text_content(".rt-ticket") == f"Số thứ tự {ticket['number']}"
    labels = [x.strip() for x in await page.locator(".rt-level span").all_text_contents()]
    assert labels == ["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng"]

    await page.click("text=Không hài lòng")
    await page.wait_for_selector(".rt-reason:visible")
    await page.click("text=Chờ quá lâu")
    assert await page.get_attribute(".rt-preset[data-reason=wait]", "aria-pressed") == "true"
    await page.click(".rt-send")
    await page.wait_for_selector(".rt-thanks:visible")
    assert await page.text_content(".rt-thanks h1") == "Cảm ơn ông/bà đã đánh giá!"
    await page.wait_for_selector(".rt-idle:visible", timeout=6000)
    (rated,) = await _ratings(r)
    assert (rated["level"], rated["reason"], rated["counter"]) == (4, "wait", 1)

    # Untouched, the next rating leaves the screen after the idle time (?idle=2).
    await http.post(f"{API}/tickets", json={"field": "HT"})
    nxt = (await http.post(f"{API}/counters/1/call-next", headers=staff)).json()
    await http.post(f"/api/v1/tickets/{nxt['id']}/finish", headers=staff)
    await page.wait_for_selector(".rt-ask:visible", timeout=1000)
    await page.wait_for_selector(".rt-idle:visible", timeout=4000)
    assert len(await _ratings(r)) == 1


async def test_tablet_needs_a_device_or_a_login(
    server: str, http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    resp = await http.get(f"/rate/{OFFICE}/1", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=")
    assert (
        await http.get(f"/rate/{OFFICE}/1?token=nope", follow_redirects=False)
    ).status_code == 303
    # Who asks comes before which counter: an unknown one is a 404 only to those let in.
    unknown = f"/rate/{OFFICE}/99"
    assert (await http.get(unknown, follow_redirects=False)).status_code == 303
    assert (await http.get(unknown, headers=staff)).status_code == 404


async def test_phone_rates_once(
    server: str,
    http: httpx.AsyncClient,
    staff: dict[str, str],
    r: Any,
    browser: Browser,  # noqa: F811
) -> None:
    waiting = (await http.post(f"{API}/tickets", json={"field": "CT"})).json()
    ticket = await _finish(http, staff)
    page = await browser.new_page(viewport=ViewportSize(width=390, height=844))
    await page.goto(f"{server}/t/{waiting['id']}/rate")
    assert "sau khi được phục vụ xong" in (await page.text_content(".rt-done h1") or "")

    # The ticket status page links a served ticket to its rating.
    await page.goto(f"{server}/t/{ticket['id']}")
    await page.click("text=Đánh giá mức độ hài lòng")
    await page.wait_for_url(f"{server}/t/{ticket['id']}/rate")
    await page.click("text=Rất hài lòng")
    await page.wait_for_selector(".rt-thanks:visible")
    assert [x["level"] for x in await _ratings(r)] == [1]
    await page.reload()
    assert await page.text_content(".rt-done h1") == (
        "Số thứ tự này đã được đánh giá. Cảm ơn ông/bà!"
    )
    # A second tap from an old tab: the server's one-rating rule, said on the page.
    await page.goto(f"{server}/t/{ticket['id']}/rate?lang=en")
    assert (
        await page.text_content(".rt-done h1") == "This ticket has already been rated. Thank you!"
    )
    unknown = await page.goto(f"{server}/t/{OFFICE}.AAAAAAAAAAAAAAAA/rate")
    assert unknown is not None and unknown.status == 404

    # A status page left open shows the link when its ticket is finished.
    await page.goto(f"{server}/t/{waiting['id']}")
    assert await page.is_hidden("#rate")
    call = {"counter": 1}
    assert (
        await http.post(f"/api/v1/tickets/{waiting['id']}/call", json=call, headers=staff)
    ).is_success
    assert (await http.post(f"/api/v1/tickets/{waiting['id']}/finish", headers=staff)).is_success
    await page.wait_for_selector("#rate:visible")
