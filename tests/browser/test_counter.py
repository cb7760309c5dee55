"""The counter workstation in real Chromium against a real server: what the staff sees and
what the server state becomes after each click or key press."""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, WebSocketRoute, expect

from queue_server.config import Config
from queue_server.services.auth import AuthService
from queue_server.services.clock import FixedClock
from queue_server.store.queue import QueueStore
from tests.conftest import MORNING, start_server

OFFICE = "phuong-ba-dinh"
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "mat-khau-123"


@pytest.fixture
async def users(auth: AuthService) -> None:
    await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport={"width": 1366, "height": 768})
    yield ctx
    await ctx.close()


async def issue(http: httpx.AsyncClient, field: str = "HT", priority: str | None = None) -> Any:
    body: dict[str, Any] = {"field": field}
    if priority:
        body["priority"] = priority
    res = await http.post(f"/api/v1/offices/{OFFICE}/tickets", json=body)
    assert res.status_code == 201, res.text
    return res.json()


async def ticket(http: httpx.AsyncClient, tid: str) -> Any:
    res = await http.get(f"/api/v1/tickets/{tid}")
    assert res.status_code == 200
    return res.json()


async def login_at(page: Page, server: str, counter: int, user: str = "lan") -> None:
    """Opens the workstation as a logged-out user: the login page, then back to it."""
    await page.goto(f"{server}/counter/{OFFICE}/{counter}")
    await page.wait_for_url(f"{server}/login?next=/counter/{OFFICE}/{counter}")
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{server}/counter/{OFFICE}/{counter}")
    await expect(page.locator("#online")).to_be_hidden()
    await expect(page.locator("body[data-counter-status]")).to_have_count(1)


async def open_counter(page: Page) -> None:
    await page.click("#btn-open")
    await expect(page.locator("#counter-status")).to_have_text("Đang mở")


def rows(page: Page) -> Any:
    return page.locator("#waiting tr.ticket .col-number")


async def test_login_redirect_chooser_and_staff_socket(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient
) -> None:
    page = await context.new_page()
    await page.goto(f"{server}/counter")
    await page.wait_for_url(f"{server}/login?next=/counter")
    await page.fill("input[name=username]", "lan")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    # One office: straight to its counters, each with its fields and state.
    await page.wait_for_url(f"{server}/counter/{OFFICE}")
    cards = page.locator(".choose-card")
    await expect(cards).to_have_count(5)
    await expect(cards.nth(1)).to_contain_text("Quầy 2")
    await expect(cards.nth(1)).to_contain_text("Hộ tịch")
    await expect(cards.nth(1)).to_contain_text("Chứng thực")
    await expect(cards.nth(1)).to_contain_text("Đã đóng")
    await cards.nth(1).click()
    await page.wait_for_url(f"{server}/counter/{OFFICE}/2")
    await expect(page.locator(".cw-counter")).to_have_text("Quầy 2")
    # The session cookie makes the office socket a staff one: tickets carry their ids.
    first = await issue(http)
    snapshot = await page.evaluate(
        """office => new Promise((resolve, reject) => {
             const ws = new WebSocket(`ws://${location.host}/ws/offices/${office}`);
             ws.onmessage = (e) => { resolve(JSON.parse(e.data)); ws.close(); };
             ws.onerror = reject;
           })""",
        OFFICE,
    )
    assert snapshot["type"] == "snapshot"
    assert snapshot["data"]["lanes"]["HT"][0]["id"] == first["id"]
    # An unknown counter is a page that says so, not a stack trace.
    res = await page.goto(f"{server}/counter/{OFFICE}/42")
    assert res is not None and res.status == 404
    await expect(page.locator(".error")).to_contain_text("Không có quầy số 42")


async def test_serving_flow_by_clicks_and_shortcuts(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient
) -> None:
    a1 = await issue(http)
    a2 = await issue(http)
    elder = await issue(http, priority="elderly")
    page = await context.new_page()
    await login_at(page, server, 1)
    call_next = page.locator("#btn-call-next")
    await expect(page.locator("#counter-status")).to_have_text("Đã đóng")
    await expect(call_next).to_be_disabled()
    # No hint to call while calling cannot work.
    current_state = page.locator("#current-state")
    await expect(current_state).to_have_text("Quầy đang đóng. Bấm “Mở quầy” để bắt đầu gọi số.")
    await open_counter(page)
    await expect(current_state).to_have_text("Bấm “Gọi số tiếp theo” để mời công dân kế tiếp.")
    # Calling order: the elderly citizen first, marked as priority.
    await expect(rows(page)).to_have_text([elder["number"], a1["number"], a2["number"]])
    await expect(page.locator("#waiting tr.ticket").first).to_contain_text(
        "Ưu tiên – Người cao tuổi"
    )
    for b in ("recall", "start", "finish", "no-show", "transfer"):
        await expect(page.locator(f"#btn-{b}")).to_be_disabled()

    await call_next.click()
    await expect(page.locator("#current-number")).to_have_text(elder["number"])
    await expect(page.locator("#current-state")).to_have_text("Đã gọi – chờ công dân đến quầy")
    await expect(rows(page)).to_have_text([a1["number"], a2["number"]])
    await expect(call_next).to_be_disabled()
    for b in ("recall", "start", "finish", "no-show", "transfer"):
        await expect(page.locator(f"#btn-{b}")).to_be_enabled()

    await page.keyboard.press("r")
    await expect(page.locator("#recalls")).to_have_text("Số lần gọi lại: 1")
    assert (await ticket(http, elder["id"]))["recalls"] == 1
    # Space means "call next" even on a focused button; while serving it says why not.
    await page.click("#btn-recall")
    await expect(page.locator("#recalls")).to_have_text("Số lần gọi lại: 2")
    await page.keyboard.press(" ")
    await expect(page.locator("#message")).to_have_text(
        "Hãy hoàn thành hoặc đánh dấu vắng mặt số hiện tại trước."
    )
    assert (await ticket(http, elder["id"]))["recalls"] == 2
    await page.keyboard.press("s")
    await expect(page.locator("#current-state")).to_have_text("Đang phục vụ")
    await expect(page.locator("#timer-label")).to_have_text("Thời gian phục vụ")
    for b in ("recall", "start", "no-show", "transfer"):
        await expect(page.locator(f"#btn-{b}")).to_be_disabled()
    await expect(page.locator("#btn-finish")).to_be_enabled()
    await page.keyboard.press("f")
    await expect(page.locator("#current-number")).to_have_text("—")
    assert (await ticket(http, elder["id"]))["status"] == "done"

    await page.keyboard.press("F1")
    await expect(page.locator("#current-number")).to_have_text(a1["number"])
    await page.keyboard.press("n")
    await expect(page.locator("#message")).to_have_text(f"Đã ghi nhận vắng mặt số {a1['number']}")
    assert (await ticket(http, a1["id"]))["status"] == "no_show"

    await page.keyboard.press(" ")
    await expect(page.locator("#current-number")).to_have_text(a2["number"])
    await page.click("#btn-start")
    await page.click("#btn-finish")
    await expect(page.locator("#current-number")).to_have_text("—")
    await expect(page.locator("#waiting-empty")).to_be_visible()
    await expect(call_next).to_be_disabled()  # nobody waits

    # Served today, on the page and from the API.
    await expect(page.locator("#stat-served")).to_have_text("2")
    await expect(page.locator("#stat-no-show")).to_have_text("1")
    await expect(page.locator("#stat-avg")).not_to_have_text("—")
    today = await page.evaluate(
        "path => fetch(path).then(r => r.json())", f"/api/v1/offices/{OFFICE}/counters/1/today"
    )
    assert (today["served"], today["no_show"]) == (2, 1)

    # Each call acts once: one ticket.called event per ticket, though keys were pressed.
    assert (await ticket(http, a2["id"]))["status"] == "done"


async def test_transfer_dialog_moves_the_ticket(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient
) -> None:
    first = await issue(http)
    second = await issue(http)
    page = await context.new_page()
    await login_at(page, server, 1)
    await open_counter(page)
    await page.click("#btn-call-next")
    await expect(page.locator("#current-number")).to_have_text(first["number"])
    await page.keyboard.press("t")
    dialog = page.locator("#transfer-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("#transfer-number")).to_have_text(first["number"])
    await expect(dialog.locator("button[data-field]")).to_have_text(
        ["A · Hộ tịch (hiện tại)", "B · Chứng thực", "C · Đất đai",
         "D · Lao động – Thương binh – Xã hội", "E · Tư pháp"]
    )  # fmt: skip
    # Its own counter is not offered; the other four are.
    await expect(dialog.locator("button[data-counter]")).to_have_count(4)
    await dialog.locator("button[data-field=CT]").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#current-number")).to_have_text("—")
    moved = await ticket(http, first["id"])
    assert (moved["status"], moved["field"], moved["lane"]) == ("waiting", "CT", "CT")
    # Counter 1 does not serve CT: the ticket leaves its list.
    await expect(rows(page)).to_have_text([second["number"]])

    await page.click("#btn-call-next")
    await expect(page.locator("#current-number")).to_have_text(second["number"])
    await page.click("#btn-transfer")
    await dialog.locator("button[data-counter='3']").click()
    # Counter 3 is closed: the clerk is asked (test_counter_warnings.py) and confirms.
    await dialog.locator("#transfer-force").click()
    # The click returns before the transfer's answer: the page says when it has one.
    await expect(page.locator("#message")).to_have_text(f"Đã chuyển số {second['number']} → Quầy 3")
    moved = await ticket(http, second["id"])
    assert (moved["status"], moved["lane"], moved["field"]) == ("waiting", "@3", "HT")
    # Escape closes the dialog without acting.
    third = await issue(http)
    await expect(rows(page)).to_have_text([third["number"]])
    await page.click("#btn-call-next")
    await expect(page.locator("#current-number")).to_have_text(third["number"])
    await page.keyboard.press("t")
    await expect(dialog).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    assert (await ticket(http, third["id"]))["status"] == "called"


@pytest.fixture
def morning(r: Any, config: Config) -> Iterator[str]:
    """A server whose clock stands at Tuesday 24/11/2026 09:00 (a public holiday since 2026,
    Ngày Văn hóa Việt Nam): pickup dates are known."""
    thread = start_server(config, FixedClock(MORNING))
    url = thread.start()
    yield url
    thread.stop()


async def test_result_pickup_dialog_by_keyboard(
    morning: str, context: BrowserContext, users: None, staff: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=morning, timeout=10) as http:
        first = await issue(http)
        page = await context.new_page()
        await login_at(page, morning, 1)
        await open_counter(page)
        button = page.locator("#btn-result")
        await expect(button).to_contain_text("Hẹn trả kết quả")
        await expect(button).to_be_disabled()
        await page.keyboard.press("F1")
        await expect(page.locator("#current-number")).to_have_text(first["number"])
        # Called is not yet served: the shortcut says what to do first.
        await expect(button).to_be_disabled()
        await page.keyboard.press("h")
        await expect(page.locator("#message")).to_have_text(
            "Bấm “Bắt đầu” (S) khi công dân đến quầy, rồi mới hẹn trả kết quả."
        )
        await page.keyboard.press("s")
        await expect(page.locator("#current-state")).to_have_text("Đang phục vụ")
        await expect(button).to_be_enabled()

        await page.keyboard.press("h")
        dialog = page.locator("#result-dialog")
        await expect(dialog).to_be_visible()
        await expect(dialog.locator("#result-number")).to_have_text(first["number"])
        # Counter 1 serves HT and TP: the ticket's field first, then the other one.
        await expect(dialog.locator("legend")).to_have_text(
            ["Hộ tịch (lĩnh vực của số này)", "Tư pháp"]
        )
        choices = dialog.locator(".proc")
        await expect(choices).to_have_count(5)
        await expect(choices.nth(0)).to_contain_text("Đăng ký khai sinh")
        await expect(choices.nth(0).locator(".proc-days")).to_have_text("Không chờtrong ngày")
        await expect(choices.nth(3).locator(".proc-days")).to_have_text("2 ngày làm việc")
        await expect(choices.nth(4)).to_contain_text("Thủ tục hòa giải, tiếp nhận đơn thư")
        printer = dialog.locator("#result-printer")
        await expect(printer).to_have_value("")  # no printing unless asked
        await expect(printer.locator("option")).to_have_text(
            ["Không in (mở phiếu để in)", "kiosk-1"]
        )
        # Keys alone: the arrows pick the procedure, Tab goes on to the name and the phone.
        await expect(dialog.locator("input[type=radio]").first).to_be_focused()
        for _ in range(3):
            await page.keyboard.press("ArrowDown")
        await expect(dialog.locator("input[value='1.004873']")).to_be_checked()
        await page.keyboard.press("Tab")
        await expect(dialog.locator("#result-name")).to_be_focused()
        await page.keyboard.type("Nguyễn Thị Hoa")
        await page.keyboard.press("Tab")

        # The data store is away for the first attempt: api.js retries with the same key.
        # Routed before anything can be sent: a refused phone must send nothing at all.
        keys: list[str | None] = []

        async def away_once(route: Route) -> None:
            # The headers the page set, at once (header_value awaits the raw headers).
            keys.append(route.request.headers.get("idempotency-key"))
            if len(keys) == 1:
                error = {"code": "unavailable", "message": "Redis"}
                await route.fulfill(status=503, json={"error": error})
            else:
                await route.continue_()

        await page.route("**/api/v1/tickets/*/result", away_once)
        await page.keyboard.type("0912 34")
        await page.keyboard.press("Enter")
        # The server's rule for a phone, checked before anything is sent.
        await expect(dialog.locator("#result-phone-error")).to_have_text(
            "Số điện thoại không hợp lệ (10 chữ số, ví dụ 0912345678)."
        )
        await expect(dialog.locator("#result-phone")).to_be_focused()
        plan = await http.get(f"/api/v1/offices/{OFFICE}/plan?day=2026-11-27", headers=staff)
        assert plan.json()["items"] == [] and keys == []
        await page.keyboard.type("5 678")
        await page.keyboard.press("Enter")
        code = dialog.locator("#result-code")
        await expect(code).to_have_text(re.compile(r"^[A-Z2-9]{8}$"))
        assert len(keys) == 2 and keys[0] is not None and keys[0] == keys[1]
        # Marital status confirmation: 2 working days, counted from Wednesday as 24/11 is
        # a public holiday (Ngày Văn hóa Việt Nam, from 2026).
        await expect(dialog.locator("#result-day")).to_have_text("Thứ Sáu, 27/11/2026")
        await expect(dialog.locator("#result-what")).to_have_text(
            "Cấp Giấy xác nhận tình trạng hôn nhân · Nguyễn Thị Hoa"
        )
        await expect(dialog.locator("#result-print")).to_be_hidden()
        pickup = (await code.text_content()) or ""
        slip = dialog.locator("#result-slip")
        await expect(slip).to_have_attribute("href", f"/appointments/{pickup}/slip")
        await expect(slip).to_have_attribute("target", "_blank")
        png = await page.request.get(f"{morning}/appointments/{pickup}/slip.png")
        assert png.headers["content-type"] == "image/png"
        got = (await http.get(f"/api/v1/offices/{OFFICE}/appointments/{pickup}")).json()
        assert (got["kind"], got["procedure"], got["day"], got["staff"]) == (
            "result", "1.004873", "2026-11-27", "lan"
        )  # fmt: skip
        assert (got["name"], got["phone"], got["status"]) == (
            "Nguyễn Thị Hoa", "0912345678", "booked"
        )  # fmt: skip
        await page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()
        await expect(page.locator("#message")).to_have_text(
            f"Đã hẹn trả kết quả, mã hồ sơ {pickup} · Thứ Sáu, 27/11/2026"
        )

        # A second dossier of the same citizen: the name stays, the slip goes to the printer.
        await page.unroute("**/api/v1/tickets/*/result")
        await page.click("#btn-result")
        await expect(dialog.locator("#result-name")).to_have_value("Nguyễn Thị Hoa")
        await dialog.locator("input[value='2.000908']").check()
        await printer.select_option("kiosk-1")
        await dialog.locator("#result-submit").click()
        # No print agent is connected for kiosk-1: the clerk is told at once.
        await expect(dialog.locator("#result-print .print-status")).to_have_text(
            "Máy in kiosk-1 đang mất kết nối; phiếu sẽ in khi máy in trở lại"
        )
        await expect(dialog.locator("#result-print .print-why")).to_contain_text(
            "Phần mềm in trên máy kiosk chưa kết nối"
        )
        # Mediation and petitions: 10 working days.
        await expect(dialog.locator("#result-day")).to_have_text("Thứ Tư, 09/12/2026")
        second = (await code.text_content()) or ""
        printers = await http.get(f"/api/v1/offices/{OFFICE}/printers", headers=staff)
        [kiosk] = [p for p in printers.json()["printers"] if p["name"] == "kiosk-1"]
        assert [(j["kind"], j["number"]) for j in kiosk["pending"]] == [("result", second)]
        await dialog.locator("#result-close").click()
        await expect(dialog).to_be_hidden()
        # The printer is remembered at this counter; the same dossier again is the same pickup.
        await page.keyboard.press("h")
        await expect(printer).to_have_value("kiosk-1")
        await dialog.locator("input[value='1.004873']").check()
        await page.keyboard.press("Enter")
        await expect(code).to_have_text(pickup)
        plan = await http.get(f"/api/v1/offices/{OFFICE}/plan?day=2026-11-27", headers=staff)
        assert [b["code"] for b in plan.json()["items"]] == [pickup]


async def test_result_pickup_errors_are_shown_in_the_dialog(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient
) -> None:
    first = await issue(http)
    page = await context.new_page()
    await login_at(page, server, 2)
    await page.goto(f"{server}/counter/{OFFICE}/2?lang=en")
    await open_counter_en(page)
    await page.click("#btn-call-next")
    await page.click("#btn-start")
    await page.click("#btn-result")
    dialog = page.locator("#result-dialog")
    await expect(dialog.locator("h2")).to_have_text(f"Result pickup for ticket {first['number']}")
    await expect(dialog.locator("legend")).to_have_text(["Civil status (this ticket's field)",
                                                         "Certification"])  # fmt: skip
    await expect(dialog.locator(".proc").nth(4).locator(".proc-days")).to_have_text(
        "No waitsame day"
    )
    # Nothing chosen: the dialog says so and sends nothing.
    await dialog.locator("#result-submit").click()
    await expect(dialog.locator("#result-error")).to_have_text("Choose the procedure.")

    async def refuse(route: Route) -> None:
        # What the server answers when a manager took the procedure away meanwhile.
        error = {"code": "not_found", "message": "no procedure '1.004873'"}
        await route.fulfill(status=404, json={"error": error})

    await page.route("**/api/v1/tickets/*/result", refuse)
    await dialog.locator("input[value='1.004873']").check()
    await dialog.locator("#result-submit").click()
    error = dialog.locator("#result-error")
    await expect(error).to_have_text("no procedure '1.004873'")
    await expect(error).to_have_attribute("role", "alert")
    await expect(dialog.locator("#result-entry")).to_be_visible()
    await expect(dialog.locator("#result-submit")).to_be_enabled()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    assert (await ticket(http, first["id"]))["status"] == "serving"


async def open_counter_en(page: Page) -> None:
    await page.click("#btn-open")
    await expect(page.locator("#counter-status")).to_have_text("Open")


async def test_call_a_specific_ticket_from_the_list(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient
) -> None:
    tickets = [await issue(http) for _ in range(3)]
    page = await context.new_page()
    await login_at(page, server, 1)
    row_buttons = page.locator("#waiting button[data-call]")
    await expect(row_buttons).to_have_count(3)
    await expect(row_buttons.first).to_be_disabled()  # the counter is closed
    await open_counter(page)
    await page.locator(f"#waiting tr[data-id='{tickets[2]['id']}'] button").click()
    await expect(page.locator("#current-number")).to_have_text(tickets[2]["number"])
    await expect(rows(page)).to_have_text([tickets[0]["number"], tickets[1]["number"]])
    called = await ticket(http, tickets[2]["id"])
    assert (called["status"], called["counter"]) == ("called", 1)
    await expect(row_buttons.first).to_be_disabled()  # busy with the called ticket
    # A double click on "call next" calls one citizen, not two.
    await page.click("#btn-finish")
    await page.dblclick("#btn-call-next")
    await expect(page.locator("#current-number")).to_have_text(tickets[0]["number"])
    await expect(rows(page)).to_have_text([tickets[1]["number"]])
    assert (await ticket(http, tickets[1]["id"]))["status"] == "waiting"
    await expect(page.locator("#message")).to_have_text(f"Đã gọi số {tickets[0]['number']}")


async def test_two_counters_see_each_other_live(
    server: str, browser: Browser, users: None, http: httpx.AsyncClient, auth: AuthService
) -> None:
    await auth.add_user("minh", "staff", PASSWORD, offices=[OFFICE])
    pages = []
    for n, user in ((1, "lan"), (2, "minh")):
        ctx = await browser.new_context(viewport={"width": 1366, "height": 768})
        page = await ctx.new_page()
        await login_at(page, server, n, user)
        await open_counter(page)
        pages.append(page)
    one, two = pages
    first = await issue(http)
    second = await issue(http)
    for page in pages:
        await expect(rows(page)).to_have_text([first["number"], second["number"]])
    await two.click("#btn-call-next")
    await expect(two.locator("#current-number")).to_have_text(first["number"])
    start = time.monotonic()
    await expect(rows(one)).to_have_text([second["number"]], timeout=1000)
    assert time.monotonic() - start < 1.0
    # And back: counter 1 calls the other one, counter 2's list empties.
    await one.keyboard.press("F1")
    await expect(one.locator("#current-number")).to_have_text(second["number"])
    await expect(two.locator("#waiting-empty")).to_be_visible(timeout=1000)
    for page in pages:
        await page.context.close()


async def test_refused_action_is_shown_and_changes_nothing(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient, staff: Any
) -> None:
    waiting = await issue(http)
    page = await context.new_page()
    held: list[Any] = []

    def relay(route: WebSocketRoute) -> None:
        # Stands for a slow network: events from the server can be held back.
        upstream = route.connect_to_server()
        upstream.on_message(lambda m: held.append(m) if hold else route.send(m))
        route.on_message(upstream.send)

    hold = False
    await page.route_web_socket("**/ws/offices/**", relay)
    await login_at(page, server, 1)
    await open_counter(page)
    await expect(rows(page)).to_have_text([waiting["number"]])
    hold = True
    # Another workstation pauses counter 1 (confirming it is the last open for HT); this
    # page has not heard of it yet.
    res = await http.post(
        f"/api/v1/offices/{OFFICE}/counters/1/pause", json={"force": True}, headers=staff
    )
    assert res.status_code == 200
    await page.click("#btn-call-next")
    message = page.locator("#message")
    await expect(message).to_have_text("Quầy 1 chưa mở. Hãy mở quầy trước khi gọi số.")
    await expect(message).to_have_attribute("role", "alert")
    assert (await ticket(http, waiting["id"]))["status"] == "waiting"
    queue = (await http.get(f"/api/v1/offices/{OFFICE}/queue", headers=staff)).json()
    assert queue["counters"][0]["status"] == "paused"
    assert queue["lanes"]["HT"][0]["id"] == waiting["id"]
    # The page catches up with the server after the refusal, keeping the message.
    await expect(page.locator("#counter-status")).to_have_text("Tạm dừng")
    await expect(page.locator("#btn-call-next")).to_be_disabled()
    await expect(message).to_contain_text("chưa mở")
    # A shortcut for what is not possible now says why, and sends nothing.
    await page.keyboard.press("F1")
    await expect(message).to_have_text("Quầy chưa mở. Hãy mở quầy trước khi gọi số.")
    assert (await ticket(http, waiting["id"]))["status"] == "waiting"


async def test_english_page(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient, r: Any
) -> None:
    await issue(http, priority="pregnant")
    page = await context.new_page()
    await login_at(page, server, 2)
    await page.goto(f"{server}/counter/{OFFICE}/2?lang=en")
    await expect(page.locator("#btn-call-next")).to_contain_text("Call next")
    await expect(page.locator("#counter-status")).to_have_text("Closed")
    await expect(page.locator("#waiting tr.ticket")).to_contain_text("Priority – Pregnant woman")
    await page.click("#btn-open")
    await expect(page.locator("#counter-status")).to_have_text("Open")
    await page.click("#btn-close")
    # The last counter open for the waiting ticket's field: asked first (in English).
    await expect(page.locator("#counter-confirm-text")).to_have_text(
        "This is the last counter open for Civil status; 1 person is waiting. Close it anyway?"
    )
    await page.click("#counter-confirm-yes")
    await expect(page.locator("#counter-status")).to_have_text("Closed")
    # A manager's change of the office reloads the page, which carries names and lanes.
    await page.evaluate("window.beforeReload = true")
    await QueueStore(r).append_event(OFFICE, "office.config_changed", {"office": OFFICE})
    await page.wait_for_function("window.beforeReload === undefined")
    await expect(page.locator("#counter-status")).to_have_text("Closed")


async def test_layout_and_screenshots(
    server: str, browser: Browser, users: None, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The workstation fits the screen without scrolling at office PC sizes. With
    SOTHUTU_SCREENSHOTS=1 the pictures go to docs/screenshots/ for the README."""
    out = ROOT / "docs" / "screenshots" if os.environ.get("SOTHUTU_SCREENSHOTS") else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    plan = [("HT", None), ("HT", "elderly"), ("TP", None), ("HT", None), ("HT", "disabled")]
    plan += [("TP", None), ("HT", None), ("HT", "meritorious"), ("TP", None), ("HT", None)]
    for field, priority in plan:
        await issue(http, field, priority)
    for width, height in ((1366, 768), (1920, 1080)):
        ctx = await browser.new_context(viewport={"width": width, "height": height})
        page = await ctx.new_page()
        await login_at(page, server, 1)
        if width == 1366:
            await open_counter(page)
            await expect(rows(page)).to_have_count(10)
            await page.screenshot(path=out / "counter-idle-1366x768.png")
            await page.click("#btn-call-next")
            await page.click("#btn-transfer")
            await expect(page.locator("#transfer-dialog")).to_be_visible()
            await page.screenshot(path=out / "counter-transfer-1366x768.png")
            await page.keyboard.press("Escape")
            await page.click("#btn-start")
        await expect(page.locator("#current-state")).to_have_text("Đang phục vụ")
        fits = await page.evaluate(
            """() => {
                 const d = document.documentElement;
                 const inside = (el) => { const r = el.getBoundingClientRect();
                   return r.bottom <= innerHeight && r.right <= innerWidth; };
                 return d.scrollWidth <= innerWidth && d.scrollHeight <= innerHeight
                   && [...document.querySelectorAll('.actions button, .today, .stat, #current')]
                        .every(inside)
                   && [...document.querySelectorAll('.today, .actions button, .cw-top')]
                        .every((el) => el.scrollWidth <= el.clientWidth);
               }"""
        )
        assert fits, f"the workstation overflows at {width}x{height}"
        await page.screenshot(path=out / f"counter-serving-{width}x{height}.png")
        if width == 1366:
            await page.keyboard.press("h")
            dialog = page.locator("#result-dialog")
            await dialog.locator("input[value='1.004873']").check()
            await dialog.locator("#result-name").fill("Nguyễn Thị Hoa")
            await dialog.locator("#result-phone").fill("0912 345 678")
            # The whole dialog shows at once, with no scrolling but its list of procedures.
            whole = await dialog.evaluate(
                """(d) => { const r = d.getBoundingClientRect();
                     return r.top >= 0 && r.bottom <= innerHeight
                       && d.scrollHeight <= d.clientHeight; }"""
            )
            assert whole, "the result dialog overflows at 1366x768"
            await page.screenshot(path=out / "counter-result-1366x768.png")
            await dialog.locator("#result-submit").click()
            await expect(dialog.locator("#result-code")).to_have_text(re.compile(r"^[A-Z2-9]{8}$"))
            await page.screenshot(path=out / "counter-result-done-1366x768.png")
            await page.keyboard.press("Escape")
            await page.goto(f"{server}/counter/{OFFICE}")
            await page.screenshot(path=out / "counter-choose-1366x768.png")
        await ctx.close()


async def test_list_is_in_this_counters_calling_order(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient
) -> None:
    """Priority tickets go first, but after `interleave` (2) of them in a row a normal one:
    the list follows the counter's own streak, also after a reload."""
    p1 = await issue(http, priority="elderly")
    p2 = await issue(http, priority="disabled")
    n1 = await issue(http)
    p3 = await issue(http, priority="pregnant")
    n2 = await issue(http)
    page = await context.new_page()
    await login_at(page, server, 1)
    await open_counter(page)
    numbers = [t["number"] for t in (p1, p2, n1, p3, n2)]
    await expect(rows(page)).to_have_text(numbers)
    await page.click("#btn-call-next")
    await expect(page.locator("#current-number")).to_have_text(p1["number"])
    # Streak 1: one more priority ticket, then a normal one must go.
    expected = [t["number"] for t in (p2, n1, p3, n2)]
    await expect(rows(page)).to_have_text(expected)
    await page.reload()
    await expect(rows(page)).to_have_text(expected)
    called = []
    for _ in expected:
        await page.click("#btn-finish")
        await expect(page.locator("#current-number")).to_have_text("—")
        await page.click("#btn-call-next")
        await expect(page.locator("#current-number")).not_to_have_text("—")
        called.append(await page.text_content("#current-number"))
    assert called == expected
