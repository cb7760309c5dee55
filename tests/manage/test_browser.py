"""The console in real headless Chromium: the live floor follows the event stream, a form
shows its errors next to the inputs. Screenshots go to docs/screenshots/."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Page, expect

from queue_server.services.auth import AuthService
from tests.conftest import ROOT
from tests.support.console import OFFICE, PASSWORD, Session

API = f"/api/v1/offices/{OFFICE}"
SHOTS = ROOT / "docs" / "screenshots"


async def manager_page(browser: Browser, server: str, auth: AuthService) -> Page:
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    await page.goto(f"{server}/manage/{OFFICE}")
    await page.fill("input[name=username]", "hoa")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{server}/manage/{OFFICE}")
    return page


async def test_floor_is_live(
    server: str, browser: Browser, auth: AuthService, http: httpx.AsyncClient,
    staff: dict[str, str],
) -> None:  # fmt: skip
    page = await manager_page(browser, server, auth)
    await expect(page.locator("#live-text")).to_have_text("Cập nhật trực tiếp")
    waiting = page.locator('#floor-fields tr[data-field="HT"] [data-waiting]')
    await expect(waiting).to_have_text("0")
    for field in ("HT", "HT", "DD", "LD", "HT"):
        assert (await http.post(f"{API}/tickets", json={"field": field})).status_code == 201
    await expect(waiting).to_have_text("3")
    await http.post(f"{API}/counters/1/open", headers=staff)
    await http.post(f"{API}/counters/1/call-next", headers=staff)
    await http.post(f"{API}/counters/4/open", headers=staff)
    await http.post(f"{API}/counters/4/pause", headers=staff)
    await expect(waiting).to_have_text("2")
    await expect(page.locator('#floor-counters tr[data-counter="1"] [data-status]')).to_have_text(
        "Đang mở"
    )
    await expect(page.locator('[data-kpi="calls"]')).to_have_text("1")
    await page.fill("input[name=text]", "Hệ thống chứng thực tạm dừng đến 14:00")
    await page.click("button.primary")
    await expect(page.locator("[data-board-message]")).to_contain_text("tạm dừng đến 14:00")
    await page.screenshot(path=str(SHOTS / "manage-overview-1366x768.png"), full_page=True)


async def test_settings_form_shows_errors_inline(
    server: str, browser: Browser, auth: AuthService
) -> None:
    page = await manager_page(browser, server, auth)
    await page.click("a[data-nav=fields]")
    await page.click('tr[data-field="HT"] a')
    await page.fill("input[name=prefix]", "B")
    await page.fill("input[name=name_vi]", "")
    await page.fill("input[name=service_minutes]", "-3")
    await page.click("button.primary")
    await expect(page.locator('[data-error-for="name_vi"]')).to_have_text("Vui lòng nhập ô này.")
    await expect(page.locator('[data-error-for="service_minutes"]')).to_have_text(
        "Phải lớn hơn 0 và không quá 600."
    )
    await expect(page.locator("input[name=prefix]")).to_have_value("B")
    await page.fill("input[name=name_vi]", "Hộ tịch")
    await page.fill("input[name=service_minutes]", "12")
    await page.click("button.primary")
    # Only the whole-office check knows B belongs to Chứng thực; it lands on the same input.
    await expect(page.locator('[data-error-for="prefix"]')).to_have_text(
        "'B' đã được dùng, hãy chọn giá trị khác."
    )
    await page.screenshot(path=str(SHOTS / "manage-field-error-1366x768.png"), full_page=True)


async def test_board_shows_the_managers_message(
    server: str, browser: Browser, manager: Session
) -> None:
    context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    board = await context.new_page()
    await board.goto(f"{server}/board/{OFFICE}")
    await board.wait_for_function("window.__board && window.__board.stream.online")
    res = await manager.post(
        f"/manage/{OFFICE}/message",
        {"text": "Hệ thống chứng thực tạm dừng đến 14:00", "minutes": "30"},
    )
    assert res.status_code == 303
    banner = board.locator("#board-message")
    await expect(banner).to_have_text("Hệ thống chứng thực tạm dừng đến 14:00")
    await expect(banner).to_be_visible()
    await board.screenshot(path=str(SHOTS / "manage-board-message-1920x1080.png"))
    await manager.post(f"/manage/{OFFICE}/message", {"clear": "1"})
    await expect(banner).to_be_hidden()
    # The band goes by itself at `until_ms`: here, one sent to end a moment from now.
    await board.evaluate(
        "window.__board.stream.options.onEvent({id: '9999999999999-0', type: 'board.message',"
        " data: {text: 'Nghỉ trưa', until_ms: Date.now() + 500}})"
    )
    await expect(banner).to_have_text("Nghỉ trưa")
    await expect(banner).to_be_hidden(timeout=3000)
    await context.close()


async def test_a_board_that_loads_or_resyncs_later_shows_the_message_up_now(
    server: str, browser: Browser, manager: Session
) -> None:
    context = await browser.new_context(viewport={"width": 1920, "height": 1080})
    res = await manager.post(
        f"/manage/{OFFICE}/message", {"text": "Nghỉ trưa từ 12:00 đến 13:00", "minutes": "30"}
    )
    assert res.status_code == 303
    # A board opened after the message was sent gets it in its snapshot.
    board = await context.new_page()
    await board.goto(f"{server}/board/{OFFICE}")
    await board.wait_for_function("window.__board && window.__board.stream.online")
    banner = board.locator("#board-message")
    await expect(banner).to_have_text("Nghỉ trưa từ 12:00 đến 13:00")
    await expect(banner).to_be_visible()

    # Away while the message is taken down, back with an id the stream no longer has: the
    # fresh snapshot has no message, and the band goes.
    away = "window.__board.stream.stop()"
    back = "window.__board.stream.lastId = '1-0'; window.__board.stream.start()"
    await board.evaluate(away)
    assert (await manager.post(f"/manage/{OFFICE}/message", {"clear": "1"})).status_code == 303
    await board.evaluate(back)
    await expect(banner).to_be_hidden()
    # And the other way round: sent while it was away.
    await board.evaluate(away)
    res = await manager.post(
        f"/manage/{OFFICE}/message", {"text": "Hệ thống tạm dừng", "minutes": "5"}
    )
    assert res.status_code == 303
    await board.evaluate(back)
    await expect(banner).to_have_text("Hệ thống tạm dừng")
    await expect(banner).to_be_visible()
    await context.close()
