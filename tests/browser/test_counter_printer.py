"""The counter page and a network printer that is switched off (the fake TCP printer): what
the clerk is told before and after sending a slip, the slip on screen, cancelling the job;
and the bytes the printer receives once it is back (each slip once, a cancelled one never).
The devices page and the overview say in Vietnamese which printer is down and why."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from printer.render import PrintOptions
from queue_server.config import Config
from queue_server.office import Printer
from queue_server.services.auth import AuthService
from queue_server.services.clock import FixedClock
from queue_server.services.printing import ServerDriver
from tests.browser.test_counter import PASSWORD, issue, login_at, open_counter
from tests.conftest import MORNING, start_server
from tests.printer.escpos_stream import decode
from tests.printer.fakeprinter import FakePrinter

OFFICE = "phuong-ba-dinh"
OFFLINE = "Máy in quay-1 đang mất kết nối; phiếu sẽ in khi máy in trở lại"
REFUSED = "Máy in từ chối kết nối (máy in đang tắt hoặc sai cổng)"


@pytest.fixture(autouse=True)
def quick_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short pauses, and an idle printer asked for its state often rather than every 30 s."""
    monkeypatch.setattr(ServerDriver, "retry_first_s", 0.05)
    monkeypatch.setattr(ServerDriver, "retry_max_s", 0.2)
    monkeypatch.setattr(ServerDriver, "block_ms", 200)
    monkeypatch.setattr(ServerDriver, "idle_poll_s", 0.3)


@pytest.fixture
def fake() -> Iterator[FakePrinter]:
    printer = FakePrinter()
    yield printer
    printer.close()


@pytest.fixture
def office(r: Any, config: Config, fake: FakePrinter) -> Iterator[str]:
    """The demo office at Tuesday 24/11/2026 09:00 with a network printer, quay-1, in text
    mode (its lines decode back to text), and the demo kiosk's agent printer."""
    office = config.offices[0]
    quay = Printer("quay-1", fake.url, "server", PrintOptions(paper_width=80, mode="text"))
    printers = (quay, *office.printers)
    cfg = dataclasses.replace(config, offices=(dataclasses.replace(office, printers=printers),))
    thread = start_server(cfg, FixedClock(MORNING))
    url = thread.start()
    yield url
    thread.stop()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport={"width": 1366, "height": 768})
    yield ctx
    await ctx.close()


def slips(fake: FakePrinter) -> list[list[str]]:
    with fake._lock:
        return [decode(job).lines for job in fake.connections if job]


def printed_codes(fake: FakePrinter, codes: list[str]) -> list[str]:
    """Which of `codes` each received job carries, in the order the printer got them."""
    out: list[str] = []
    for lines in slips(fake):
        out.extend(c for c in codes if any(c in line for line in lines))
    return out


async def pickup(page: Page, procedure: str) -> str:
    """Records a pickup for the ticket being served, printed on quay-1; its code."""
    dialog = page.locator("#result-dialog")
    if not await dialog.is_visible():
        await page.keyboard.press("h")
    await dialog.locator(f"input[value='{procedure}']").check()
    await dialog.locator("#result-printer").select_option("quay-1")
    await dialog.locator("#result-submit").click()
    await expect(dialog.locator("#result-done")).to_be_visible()
    code = dialog.locator("#result-code")
    await expect(code).to_have_text(re.compile(r"^[A-Z2-9]{8}$"))
    return (await code.text_content()) or ""


async def close(page: Page) -> None:
    await page.locator("#result-close").click()
    await expect(page.locator("#result-dialog")).to_be_hidden()


async def until_printer(page: Page, online: bool) -> None:
    """The dialog's printer line, before anything is sent."""
    await page.keyboard.press("h")
    dialog = page.locator("#result-dialog")
    await dialog.locator("#result-printer").select_option("quay-1")
    line = dialog.locator("#result-printer-state")
    expected = (
        "Máy in quay-1: sẵn sàng"
        if online
        else f"Máy in quay-1 đang mất kết nối từ 09:00: {REFUSED}"
    )
    # The page reads the printers when the dialog opens and on every printer event.
    await expect(line).to_have_text(expected, timeout=15000)


async def cancel(outcome: Locator) -> None:
    """Presses "Hủy lệnh in" until the server accepts: a press that meets an attempt on the
    wire (the driver retries the offline printer) is refused, and the page says so."""
    for _ in range(10):
        await outcome.get_by_role("button", name="Hủy lệnh in").click()
        await expect(outcome).to_have_attribute("data-state", re.compile("^(cleared|refused)$"))
        if await outcome.get_attribute("data-state") == "cleared":
            return
        await expect(outcome.locator(".print-status")).to_contain_text("không hủy được nữa")
    raise AssertionError("the cancel was never accepted")


async def test_an_offline_printer_is_said_at_once_with_the_slip_on_screen_or_a_cancel(
    office: str, fake: FakePrinter, context: BrowserContext, auth: AuthService
) -> None:
    await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])
    fake.switch_off()
    page = await context.new_page()
    async with httpx.AsyncClient(base_url=office, timeout=10) as http:
        first = await issue(http)
        await login_at(page, office, 1)
        await open_counter(page)
        await page.keyboard.press("F1")
        await expect(page.locator("#current-number")).to_have_text(first["number"])
        await page.keyboard.press("s")
        await expect(page.locator("#current-state")).to_have_text("Đang phục vụ")

        # Before sending: the state of the printer, its reason in Vietnamese, the raw error
        # for IT staff in the tooltip.
        await until_printer(page, online=False)
        line = page.locator("#result-printer-state")
        await expect(line).to_have_attribute("title", re.compile("Connection refused"))

        # Sent while it is off: said at once, with the slip on screen.
        code1 = await pickup(page, "1.004873")
        outcome = page.locator("#result-print")
        await expect(outcome.locator(".print-status")).to_have_text(OFFLINE)
        await expect(outcome.locator(".print-why")).to_have_text(
            f"Mất kết nối từ 09:00: {REFUSED}."
        )
        async with context.expect_page() as opened:
            await outcome.get_by_role("link", name="Mở phiếu trên màn hình").click()
        screen = await opened.value
        slip = screen.locator("#slip")
        await expect(slip).to_contain_text("PHIẾU HẸN TRẢ KẾT QUẢ")
        await expect(slip).to_contain_text(code1)
        await expect(slip).to_contain_text("Cấp Giấy xác nhận tình trạng hôn nhân")
        await expect(screen.get_by_role("button", name="In phiếu")).to_be_visible()
        await screen.close()
        assert slips(fake) == []

        # Back on: the job prints once, and the page says so.
        fake.switch_on()
        await expect(outcome.locator(".print-status")).to_have_text(
            "Đã in phiếu tại máy in quay-1.", timeout=15000
        )
        await expect(outcome.get_by_role("button", name="Hủy lệnh in")).to_have_count(0)
        await close(page)

        # Off again: a slip cancelled never prints, before or after the next one.
        fake.switch_off()
        await until_printer(page, online=False)
        code2 = await pickup(page, "1.001193")
        await expect(outcome.locator(".print-status")).to_have_text(OFFLINE)
        await cancel(outcome)
        await expect(outcome.locator(".print-status")).to_have_text(
            "Đã hủy lệnh in: phiếu sẽ không in ra khi máy in trở lại."
        )
        await close(page)
        fake.switch_on()
        await until_printer(page, online=True)
        code3 = await pickup(page, "1.000894")
        await expect(outcome.locator(".print-status")).to_have_text(
            "Đã in phiếu tại máy in quay-1.", timeout=15000
        )
        fake.wait_idle()
        assert printed_codes(fake, [code1, code2, code3]) == [code1, code3]


async def test_devices_page_and_overview_say_in_vietnamese_which_printer_is_down(
    office: str, fake: FakePrinter, context: BrowserContext, auth: AuthService
) -> None:
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    fake.switch_off()
    page = await context.new_page()
    await page.goto(f"{office}/manage/{OFFICE}")
    await page.fill("input[name=username]", "hoa")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{office}/manage/{OFFICE}")
    await expect(page.locator("#live-text")).to_have_text("Cập nhật trực tiếp")
    # The overview: the printers that cannot print, with since when and why; live.
    down = page.locator("#printers-down")
    quay = down.locator('li[data-printer="quay-1"]')
    await expect(quay).to_contain_text(f"quay-1 — {REFUSED} (từ 09:00)", timeout=15000)
    await expect(quay.locator("small")).to_contain_text("Connection refused")
    await expect(down.locator('li[data-printer="kiosk-1"]')).to_contain_text(
        "kiosk-1 — Phần mềm in trên máy kiosk chưa kết nối"
    )
    # The devices page: the state and its reason in Vietnamese, the raw error in small print.
    await page.goto(f"{office}/manage/{OFFICE}/devices")
    card = page.locator('.mg-printer[data-printer="quay-1"]')
    await expect(card.locator("[data-state]")).to_have_text("Không kết nối được")
    await expect(card.locator("[data-reason]")).to_contain_text(f"{REFUSED} (từ 09:00)")
    await expect(card.locator("[data-detail]")).to_contain_text("[Errno 111] Connection refused")
    assert "Connection refused" not in (
        (await card.locator("[data-reason] b").text_content()) or ""
    )
    # Switched on: the overview drops it without a reload.
    await page.goto(f"{office}/manage/{OFFICE}")
    await expect(quay).to_be_visible()
    fake.switch_on()
    await expect(quay).to_have_count(0, timeout=15000)
    await expect(down.locator('li[data-printer="kiosk-1"]')).to_be_visible()
    await page.goto(f"{office}/manage/{OFFICE}/devices")
    await expect(card.locator("[data-state]")).to_have_text("Sẵn sàng")
    await expect(card.locator("[data-reason]")).to_have_count(0)


def apologies(fake: FakePrinter) -> list[str]:
    """The text of each apology slip the printer received."""
    return [" ".join(lines) for lines in slips(fake) if "PHIẾU XIN LỖI" in lines]


async def test_a_finished_ticket_gets_its_slip_and_a_result_is_postponed_from_the_counter(
    office: str, fake: FakePrinter, context: BrowserContext, auth: AuthService
) -> None:
    await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])
    page = await context.new_page()
    async with httpx.AsyncClient(base_url=office, timeout=10) as http:
        first = await issue(http)
        await login_at(page, office, 1)
        await open_counter(page)
        await page.keyboard.press("F1")
        await page.keyboard.press("s")
        await expect(page.locator("#current-state")).to_have_text("Đang phục vụ")
        # "Hoàn thành" pressed before "Hẹn trả kết quả".
        await page.keyboard.press("f")
        await expect(page.locator("#current-number")).to_have_text("—")
        await expect(page.locator("#btn-result")).to_be_disabled()

        # Today's served tickets: the pickup slip is still made for it.
        await page.click("#btn-served")
        served = page.locator("#served-dialog")
        row = served.locator(f'tr[data-ticket="{first["id"]}"]')
        await expect(row).to_contain_text(first["number"])
        await expect(row).to_contain_text("Hộ tịch")
        await row.get_by_role("button", name="Hẹn trả kết quả").click()
        await expect(served).to_be_hidden()
        dialog = page.locator("#result-dialog")
        await expect(dialog.locator("#result-number")).to_have_text(first["number"])
        await dialog.locator("input[value='1.004873']").check()
        await dialog.locator("#result-name").fill("Nguyễn Thị Hoa")
        await dialog.locator("#result-submit").click()
        await expect(dialog.locator("#result-done")).to_be_visible()
        await expect(dialog.locator("#result-day")).to_have_text("Thứ Sáu, 27/11/2026")
        code = (await dialog.locator("#result-code").text_content()) or ""
        await close(page)

        # Postponed: found by its code (as typed), counted in working days, reason required.
        await page.click("#btn-postpone")
        postpone = page.locator("#postpone-dialog")
        await postpone.locator("#postpone-code").fill(code.lower())
        await page.keyboard.press("Enter")
        await expect(postpone.locator("#postpone-current")).to_have_text("Thứ Sáu, 27/11/2026")
        await expect(postpone.locator("#postpone-what")).to_contain_text("Nguyễn Thị Hoa")
        await expect(postpone.locator("#postpone-to")).to_have_text(
            "Ngày hẹn mới: Thứ Hai, 30/11/2026"
        )
        await postpone.locator("#postpone-days").fill("3")
        await expect(postpone.locator("#postpone-to")).to_have_text(
            "Ngày hẹn mới: Thứ Tư, 02/12/2026"
        )
        await postpone.locator("#postpone-printer").select_option("quay-1")
        await expect(postpone.locator("#postpone-printer-state")).to_have_text(
            "Máy in quay-1: sẵn sàng"
        )
        await postpone.locator("#postpone-submit").click()
        await expect(postpone.locator("#postpone-reason-error")).to_have_text(
            "Vui lòng ghi lý do chậm trả kết quả."
        )
        await expect(postpone.locator("#postpone-reason")).to_be_focused()
        assert apologies(fake) == []
        reason = "Chờ kết quả xác minh của UBND xã nơi cư trú trước đây"
        await postpone.locator("#postpone-reason").fill(reason)
        await postpone.locator("#postpone-submit").click()
        await expect(postpone.locator("#postpone-done")).to_be_visible()
        await expect(postpone.locator("#postpone-done-code")).to_have_text(code)
        await expect(postpone.locator("#postpone-done-day")).to_have_text("Thứ Tư, 02/12/2026")
        await expect(postpone.locator("#postpone-print .print-status")).to_have_text(
            "Đã in phiếu tại máy in quay-1."
        )
        fake.wait_idle()
        [slip] = apologies(fake)
        assert code in slip and "Chờ kết quả xác minh" in slip and "02/12/2026" in slip
        assert "Kính gửi ông/bà Nguyễn Thị Hoa" in slip
        async with context.expect_page() as opened:
            await postpone.locator("#postpone-slip").click()
        screen = await opened.value
        await expect(screen.locator("#slip")).to_contain_text("PHIẾU XIN LỖI")
        await expect(screen.locator("#slip")).to_contain_text(reason)
        await screen.close()
        got = (await http.get(f"/api/v1/offices/{OFFICE}/appointments/{code}")).json()
        assert (got["day"], got["reschedules"], got["reason"]) == ("2026-12-02", 1, reason)


async def test_the_console_postpones_a_pickup_and_cancels_a_slip_for_an_offline_printer(
    office: str, fake: FakePrinter, context: BrowserContext, auth: AuthService
) -> None:
    await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    token, _ = await auth.login("lan", PASSWORD)
    staff = {"Authorization": f"Bearer {token}"}
    api = f"/api/v1/offices/{OFFICE}"
    async with httpx.AsyncClient(base_url=office, timeout=10) as http:
        await http.post(f"{api}/counters/1/open", headers=staff)
        await issue(http)
        called = (await http.post(f"{api}/counters/1/call-next", headers=staff)).json()
        await http.post(f"/api/v1/tickets/{called['id']}/start", json={"counter": 1}, headers=staff)
        made = await http.post(f"/api/v1/tickets/{called['id']}/result", headers=staff,
                               json={"procedure": "1.004873", "name": "Trần Văn Bình"})  # fmt: skip
        code = made.json()["code"]
    page = await context.new_page()
    await page.goto(f"{office}/manage/{OFFICE}/pickups")
    await page.fill("input[name=username]", "hoa")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{office}/manage/{OFFICE}/pickups")

    async def find_and_postpone(days: str, reason: str) -> None:
        await page.fill("input[name=code]", code)
        await page.get_by_role("button", name="Tìm", exact=True).click()
        pickup = page.locator("#pickup")
        await expect(pickup).to_contain_text("Trần Văn Bình")
        await pickup.locator("input[name=working_days]").fill(days)
        await pickup.locator("select[name=printer]").select_option("quay-1")
        await pickup.locator("textarea[name=reason]").fill(reason)
        await pickup.get_by_role("button", name="Hẹn lại và lập phiếu xin lỗi").click()

    await find_and_postpone("3", "Chờ kết quả đo đạc")
    done = page.locator("#postponed")
    await expect(done.locator("[data-new-day]")).to_have_text("Thứ Tư, 02/12/2026")
    await expect(done.locator("[data-print-status]")).to_have_text(
        "Đã in phiếu xin lỗi tại máy in quay-1."
    )
    fake.wait_idle()
    assert len(apologies(fake)) == 1 and "02/12/2026" in apologies(fake)[0]

    # The printer off: said at once, and the slip waiting for it is cancelled.
    fake.switch_off()
    await find_and_postpone("1", "Chờ ý kiến của Sở Tư pháp")
    await expect(done.locator("[data-new-day]")).to_have_text("Thứ Năm, 03/12/2026")
    await expect(done.locator("[data-print-status]")).to_have_text(OFFLINE)
    await expect(done).to_contain_text(REFUSED)
    for _ in range(10):  # a press that meets an attempt on the wire is refused: again
        await done.get_by_role("button", name="Hủy lệnh in").click()
        if await page.locator("[data-cancelled]").count():
            break
        await expect(page.locator("[data-error-for='']")).to_contain_text("không hủy được")
        await page.go_back()
    await expect(page.locator("[data-cancelled]")).to_have_text(
        "Đã hủy lệnh in: phiếu sẽ không in ra khi máy in trở lại."
    )
    fake.switch_on()
    await find_and_postpone("1", "Chờ ý kiến của Sở Tư pháp")
    await expect(done.locator("[data-print-status]")).to_have_text(
        "Đã in phiếu xin lỗi tại máy in quay-1.", timeout=15000
    )
    fake.wait_idle()
    printed = apologies(fake)
    assert len(printed) == 2, printed  # the cancelled one never came out
    assert "04/12/2026" in printed[1]
