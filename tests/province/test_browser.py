"""The province page in real headless Chromium: an office's row follows its events, an
office is marked once a citizen waits past the target, and the table sorts."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from queue_server.services.auth import AuthService
from tests.conftest import ROOT
from tests.province.conftest import OFFICE_A, OFFICE_B, PASSWORD, ShiftedClock
from tests.province.test_api import call_next, issue

A = f"/api/v1/offices/{OFFICE_A}"
B = f"/api/v1/offices/{OFFICE_B}"
SHOTS = ROOT / "docs" / "screenshots"


async def test_rows_are_live_and_sortable(
    server: str, browser: Browser, auth: AuthService, http: httpx.AsyncClient,
    staff: dict[str, str], shifted: ShiftedClock,
) -> None:  # fmt: skip
    shifted.start(16)
    await auth.add_user("tinh", "admin", PASSWORD)
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    await page.goto(f"{server}/province")
    await page.fill("input[name=username]", "tinh")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{server}/province")
    await expect(page.locator("#live-text")).to_have_text("Cập nhật trực tiếp")
    row_a = page.locator(f'tr[data-office="{OFFICE_A}"]')
    row_b = page.locator(f'tr[data-office="{OFFICE_B}"]')
    await expect(row_a.locator("[data-col=waiting]")).to_have_text("0")

    # Tickets issued and called in the offices reach their rows without a reload.
    for _ in range(3):
        await issue(http, B, "DD")  # Địa chính: a target of 30 minutes
    await issue(http, A, "HT")
    await expect(row_b.locator("[data-col=waiting]")).to_have_text("3")
    await expect(row_a.locator("[data-col=waiting]")).to_have_text("1")
    await expect(row_b.locator("[data-col=longest]")).to_have_text("dưới 1 phút")
    await http.post(f"{B}/counters/4/open", headers=staff)
    await call_next(http, B, 4, staff)
    await expect(row_b.locator("[data-col=waiting]")).to_have_text("2")
    await expect(row_b.locator("[data-col=open]")).to_have_text("1 / 5")
    await expect(row_a.locator("[data-mark]")).to_be_hidden()

    # Sixteen minutes on, A's Hộ tịch ticket (target 15) has waited too long: the next
    # event marks A, in words.
    shifted.forward(16)
    await http.post(f"{A}/counters/3/open", headers=staff)
    await expect(row_a.locator("[data-mark]")).to_have_text("khách chờ được xin lỗi")
    await expect(row_a).to_have_class("pv-overdue")
    await expect(row_a.locator("[data-col=longest]")).to_have_text("16 phút")
    await expect(row_b.locator("[data-mark]")).to_be_hidden()

    # Sorting: by waiting, the most first, then the fewest; the header says which.
    waiting_th = page.locator("thead th").nth(1)
    await waiting_th.get_by_role("button").click()
    await expect(waiting_th).to_have_attribute("aria-sort", "descending")
    offices = page.locator("tbody tr")
    await expect(offices).to_have_count(2)
    await expect(offices.nth(0)).to_have_attribute("data-office", OFFICE_B)
    await waiting_th.get_by_role("button").click()
    await expect(waiting_th).to_have_attribute("aria-sort", "ascending")
    await expect(offices.nth(0)).to_have_attribute("data-office", OFFICE_A)
    # A live row keeps the order chosen: A now has the most waiting.
    for _ in range(3):
        await issue(http, A, "CT")
    await expect(row_a.locator("[data-col=waiting]")).to_have_text("4")
    await expect(offices.nth(0)).to_have_attribute("data-office", OFFICE_B)
    await page.screenshot(path=str(SHOTS / "province-live-1366x768.png"), full_page=True)
    await context.close()
