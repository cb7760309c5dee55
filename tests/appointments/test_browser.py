"""The booking page on a phone and the kiosk check-in, in real headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ViewportSize

from queue_server.config import Config
from queue_server.services.clock import FixedClock
from tests.appointments.test_web import at
from tests.browser.conftest import browser  # noqa: F401  (the fixture)
from tests.conftest import start_server

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = ViewportSize(width=360, height=740)
KIOSK = ViewportSize(width=1080, height=1920)


@pytest.fixture
def web_clock() -> FixedClock:
    return FixedClock(at(2026, 11, 25, 8, 0))


@pytest.fixture
def web(r: Any, cap3: Config, web_clock: FixedClock) -> Iterator[str]:
    thread = start_server(cap3, web_clock)
    url = thread.start()
    yield url
    thread.stop()


async def test_booking_on_a_phone_from_field_to_code(web: str, browser: Browser) -> None:  # noqa: F811
    page = await browser.new_page(viewport=PHONE, device_scale_factor=2)
    await page.goto(f"{web}/book/phuong-ba-dinh")
    assert await page.title() == "Đặt lịch hẹn · Trung tâm Phục vụ hành chính công phường Ba Đình"
    await page.screenshot(path=SHOTS / "booking-1-field.png", full_page=True)
    await page.click("text=Hộ tịch")
    async with page.expect_navigation():
        await page.check("input[name=procedure][value='1.004873']")
    assert await page.is_visible("#guide")  # shown as soon as the procedure is chosen
    await page.select_option("select[name=day]", "2026-11-26")
    await page.click("text=Xem giờ còn trống")
    # The chosen procedure's guidance: documents, fee, legal time.
    guide = await page.text_content("#guide")
    assert guide is not None
    assert "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân" in guide and "2 ngày làm việc" in guide
    await page.click("label.bk-slot:has-text('09:00-09:30')")
    await page.fill("input[name=name]", "Nguyễn Thị Hoa")
    await page.fill("input[name=phone]", "09123")
    await page.screenshot(path=SHOTS / "booking-2-time.png", full_page=True)
    await page.click("button:has-text('Đặt lịch')")
    assert await page.text_content("#err-phone") == (
        "Số điện thoại không hợp lệ (10 chữ số, ví dụ 0912345678)."
    )
    await page.screenshot(path=SHOTS / "booking-3-error.png", full_page=True)
    await page.fill("input[name=phone]", "0912345678")
    await page.click("label.bk-slot:has-text('09:00-09:30')")
    await page.click("button:has-text('Đặt lịch')")
    await page.wait_for_url(re.compile(r".*/book/phuong-ba-dinh/[A-Z2-9]{8}\?new=1$"))
    code = await page.text_content("#code")
    assert code is not None and len(code) == 8
    assert await page.text_content("h1") == "Đặt lịch thành công"
    assert await page.text_content("#when") == "09:00-09:30 Thứ Năm, 26/11/2026"
    loaded = await page.evaluate("document.querySelector('.bk-qr').naturalWidth")
    assert loaded > 0
    await page.screenshot(path=SHOTS / "booking-4-code.png", full_page=True)
    # Cancel from the manage page.
    page.on("dialog", lambda d: d.accept())
    await page.click("button:has-text('Hủy lịch hẹn')")
    await page.wait_for_url(re.compile(r".*\?done=cancel$"))
    assert await page.text_content("#status") == "Đã hủy"


async def test_kiosk_check_in_with_keypad_and_scanner(
    web: str,
    browser: Browser,  # noqa: F811
    web_clock: FixedClock,
) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=web) as client:
        codes = []
        for phone, start in (("0911111111", "09:00"), ("0922222222", "11:00")):
            made = await client.post(
                "/api/v1/offices/phuong-ba-dinh/appointments",
                json={"field": "HT", "start": f"2026-11-25T{start}", "name": "Lê Thị G",
                      "phone": phone},
            )  # fmt: skip
            codes.append(made.json()["code"])
    web_clock.ms = at(2026, 11, 25, 8, 45)
    page = await browser.new_page(viewport=KIOSK)
    await page.goto(f"{web}/kiosk/phuong-ba-dinh/check-in")
    await page.screenshot(path=SHOTS / "checkin-1-entry.png")
    for ch in codes[0]:
        await page.click(f".ci-key[data-key='{ch}']")
    assert await page.input_value("#code") == codes[0]
    await page.click("#submit")
    await page.wait_for_selector("#done:not([hidden])")
    assert await page.text_content("#number") == "A001"
    assert await page.text_content("#field") == "Hộ tịch"
    assert await page.text_content("#call") == "Số của bạn sẽ được gọi lúc 9:00."
    # The status page's QR, drawn (loaded), and the link a phone would open.
    qr = page.locator("#status-qr")
    await page.wait_for_function("document.getElementById('status-qr').naturalWidth > 0")
    href = await page.get_attribute("#status-link", "href")
    assert href is not None and re.fullmatch(r"/t/phuong-ba-dinh\.[\w-]+", href)
    assert (await qr.get_attribute("src")) == f"{href}/qr.svg"
    status = await browser.new_page(viewport=PHONE)
    await status.goto(f"{web}{href}")
    assert "A001" in (await status.text_content("body") or "")
    await status.close()
    await page.screenshot(path=SHOTS / "checkin-2-ticket.png")
    # The second booking is at 11:00: too early. A scanner types the code and Enter.
    await page.goto(f"{web}/kiosk/phuong-ba-dinh/check-in")
    await page.keyboard.type(codes[1].lower())
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#choice:not([hidden])")
    message = await page.text_content("#message")
    assert message == "Bạn đến sớm hơn giờ hẹn. Có thể xác nhận từ 10:30 Thứ Tư, 25/11/2026."
    await page.screenshot(path=SHOTS / "checkin-3-early.png")
    await page.click("#normal")
    await page.wait_for_selector("#done:not([hidden])")
    assert await page.text_content("#number") == "A002"
