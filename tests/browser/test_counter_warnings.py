"""Asked before it is done, in a real Chromium: the transfer dialog shows each counter's
state and asks before sending a ticket to a counter that is closed or paused; the citizen's
page names the counter the ticket waits for and says when it is closed; pausing or closing
the last open counter of a field with people waiting asks first, with how many."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Dialog, WebSocketRoute, expect

from tests.browser.test_counter import issue, login_at, open_counter, ticket
from tests.browser.test_ticket_page import ticket_page
from tests.conftest import OFFICE

API = f"/api/v1/offices/{OFFICE}"


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport={"width": 1366, "height": 768})
    yield ctx
    await ctx.close()


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    yield ctx
    await ctx.close()


@pytest.fixture
async def users(auth: Any) -> None:
    await auth.add_user("lan", "staff", "mat-khau-123", offices=[OFFICE])


def no_native_dialog(dialog: Dialog) -> None:
    raise AssertionError(f"the page used window.{dialog.type}: {dialog.message}")


async def counter(
    http: httpx.AsyncClient, staff: dict[str, str], n: int, action: str, force: bool = False
) -> None:
    body = {"force": True} if force else None
    res = await http.post(f"{API}/counters/{n}/{action}", json=body, headers=staff)
    assert res.status_code == 200, res.text


async def test_the_transfer_dialog_shows_each_state_and_asks_before_a_counter_not_open(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient, staff: Any
) -> None:
    await counter(http, staff, 2, "open")
    await counter(http, staff, 5, "open")
    await counter(http, staff, 5, "pause")
    first = await issue(http)
    second = await issue(http)
    page = await context.new_page()
    page.on("dialog", no_native_dialog)
    await login_at(page, server, 1)
    await open_counter(page)
    await page.click("#btn-call-next")
    await expect(page.locator("#current-number")).to_have_text(first["number"])
    await page.keyboard.press("t")
    dialog = page.locator("#transfer-dialog")
    await expect(dialog.locator("button[data-counter] .choice-head")).to_have_text(
        ["Quầy 2 Đang mở", "Quầy 3 Đã đóng", "Quầy 4 Đã đóng", "Quầy 5 Tạm dừng"]
    )
    # A closed counter: asked, nothing sent.
    await dialog.locator("button[data-counter='3']").click()
    warn = dialog.locator("#transfer-warn")
    await expect(warn).to_have_text(
        f"Quầy 3 đang đóng. Số {first['number']} sẽ phải chờ đến khi quầy mở lại."
    )
    await expect(dialog.locator("button[data-counter]").first).to_be_hidden()
    assert (await ticket(http, first["id"]))["status"] == "called"
    # The clerk picks another: the list again.
    await dialog.locator("#transfer-other").click()
    await expect(warn).to_be_hidden()
    # A paused counter: asked too; the clerk confirms.
    await dialog.locator("button[data-counter='5']").click()
    await expect(warn).to_have_text(
        f"Quầy 5 đang tạm dừng. Số {first['number']} sẽ phải chờ đến khi quầy làm việc trở lại."
    )
    await expect(dialog.locator("#transfer-force")).to_have_text("Vẫn chuyển đến Quầy 5")
    await dialog.locator("#transfer-force").click()
    await expect(page.locator("#message")).to_have_text(f"Đã chuyển số {first['number']} → Quầy 5")
    moved = await ticket(http, first["id"])
    assert (moved["status"], moved["lane"]) == ("waiting", "@5")

    # The states follow live while the dialog is open; an open counter takes the ticket at once.
    await page.click("#btn-call-next")
    await expect(page.locator("#current-number")).to_have_text(second["number"])
    await page.keyboard.press("t")
    three = dialog.locator("button[data-counter='3'] .choice-head")
    await expect(three).to_have_text("Quầy 3 Đã đóng")
    await counter(http, staff, 3, "open")
    await expect(three).to_have_text("Quầy 3 Đang mở")
    await dialog.locator("button[data-counter='3']").click()
    await expect(page.locator("#message")).to_have_text(f"Đã chuyển số {second['number']} → Quầy 3")
    assert (await ticket(http, second["id"]))["lane"] == "@3"


async def test_a_counter_closing_behind_the_dialog_is_still_asked_about(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient, staff: Any
) -> None:
    """The page's view can be behind: the server refuses, and the page asks then."""
    await counter(http, staff, 2, "open")
    first = await issue(http)
    page = await context.new_page()
    hold = False

    def relay(route: WebSocketRoute) -> None:
        # Stands for a slow network: events from the server can be held back.
        upstream = route.connect_to_server()
        upstream.on_message(lambda m: None if hold else route.send(m))
        route.on_message(upstream.send)

    await page.route_web_socket("**/ws/offices/**", relay)
    await login_at(page, server, 1)
    await open_counter(page)
    await page.click("#btn-call-next")
    await expect(page.locator("#current-number")).to_have_text(first["number"])
    hold = True
    await page.keyboard.press("t")
    dialog = page.locator("#transfer-dialog")
    await expect(dialog.locator("button[data-counter='2'] .choice-head")).to_have_text(
        "Quầy 2 Đang mở"
    )
    await counter(http, staff, 2, "close")
    await expect(dialog.locator("button[data-counter='2'] .choice-head")).to_have_text(
        "Quầy 2 Đang mở"
    )
    await dialog.locator("button[data-counter='2']").click()
    await expect(dialog.locator("#transfer-warn")).to_have_text(
        f"Quầy 2 đang đóng. Số {first['number']} sẽ phải chờ đến khi quầy mở lại."
    )
    assert (await ticket(http, first["id"]))["status"] == "called"
    # The clerk confirms: the ticket goes, and the page says so.
    await dialog.locator("#transfer-force").click()
    await expect(page.locator("#message")).to_have_text(f"Đã chuyển số {first['number']} → Quầy 2")
    assert (await ticket(http, first["id"]))["lane"] == "@2"


async def test_the_citizen_page_names_the_counter_and_says_when_it_is_closed(
    server: str, phone: BrowserContext, http: httpx.AsyncClient, staff: Any
) -> None:
    waiting = await issue(http)
    res = await http.post(
        f"/api/v1/tickets/{waiting['id']}/transfer", json={"counter": 3, "force": True},
        headers=staff,
    )  # fmt: skip
    assert res.status_code == 200, res.text
    page = await ticket_page(phone, server, waiting["id"])
    await expect(page.locator("#where")).to_have_text("Đang chờ tại Quầy 3")
    note = page.locator("#where-note")
    await expect(note).to_have_text(
        "Quầy 3 đang đóng. Số của bạn sẽ được gọi khi quầy mở lại; nếu cần, xin hỏi cán bộ tại"
        " quầy tiếp nhận."
    )
    await expect(page.locator("#wait")).to_have_text("Chờ quầy mở lại")
    await expect(page.locator("#tk")).not_to_contain_text("Sắp đến lượt")
    # The counter opens: the page follows, still naming it.
    await counter(http, staff, 3, "open")
    await expect(note).to_be_hidden()
    await expect(page.locator("#wait")).to_have_text("Sắp đến lượt")
    await expect(page.locator("#where")).to_have_text("Đang chờ tại Quầy 3")
    await counter(http, staff, 3, "pause", force=True)  # its clerk was asked (below)
    await expect(note).to_have_text(
        "Quầy 3 đang tạm dừng. Số của bạn sẽ được gọi khi quầy làm việc trở lại."
    )


async def test_closing_the_last_open_counter_of_a_field_asks_first_with_how_many(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient, staff: Any
) -> None:
    for _ in range(4):
        await issue(http)
    page = await context.new_page()
    page.on("dialog", no_native_dialog)
    await login_at(page, server, 1)
    await open_counter(page)
    confirm = page.locator("#counter-confirm")
    text = page.locator("#counter-confirm-text")

    await page.click("#btn-pause")
    await expect(confirm).to_be_visible()
    await expect(text).to_have_text(
        "Quầy này là quầy cuối cùng đang mở cho lĩnh vực Hộ tịch; còn 4 người đang chờ."
        " Vẫn tạm dừng quầy?"
    )
    # Keeping it open changes nothing.
    await page.click("#counter-confirm-keep")
    await expect(confirm).to_be_hidden()
    await expect(page.locator("#counter-status")).to_have_text("Đang mở")
    # Escape too, and the shortcuts wait while the question is on screen.
    await page.click("#btn-close")
    await expect(text).to_have_text(
        "Quầy này là quầy cuối cùng đang mở cho lĩnh vực Hộ tịch; còn 4 người đang chờ."
        " Vẫn đóng quầy?"
    )
    await page.keyboard.press("F1")
    await page.keyboard.press("Escape")
    await expect(confirm).to_be_hidden()
    queue = (await http.get(f"{API}/queue", headers=staff)).json()
    assert queue["counters"][0]["status"] == "open" and len(queue["lanes"]["HT"]) == 4
    # The clerk confirms: closed.
    await page.click("#btn-close")
    await expect(page.locator("#counter-confirm-yes")).to_have_text("Vẫn đóng quầy")
    await page.click("#counter-confirm-yes")
    await expect(page.locator("#counter-status")).to_have_text("Đã đóng")
    queue = (await http.get(f"{API}/queue", headers=staff)).json()
    assert queue["counters"][0]["status"] == "closed"


async def test_no_question_while_another_counter_serves_the_field(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient, staff: Any
) -> None:
    await issue(http)
    await counter(http, staff, 2, "open")  # also serves Hộ tịch
    page = await context.new_page()
    page.on("dialog", no_native_dialog)
    await login_at(page, server, 1)
    await open_counter(page)
    await page.click("#btn-close")
    await expect(page.locator("#counter-status")).to_have_text("Đã đóng")
    await expect(page.locator("#counter-confirm")).to_be_hidden()


async def test_closing_a_counter_with_tickets_sent_to_it_asks_first(
    server: str, context: BrowserContext, users: None, http: httpx.AsyncClient, staff: Any
) -> None:
    await counter(http, staff, 2, "open")  # also serves Hộ tịch: the field is not left alone
    sent = await issue(http)
    page = await context.new_page()
    await login_at(page, server, 1)
    await open_counter(page)
    res = await http.post(
        f"/api/v1/tickets/{sent['id']}/transfer", json={"counter": 1}, headers=staff
    )
    assert res.status_code == 200
    await page.click("#btn-close")
    await expect(page.locator("#counter-confirm-text")).to_have_text(
        "Còn 1 người được chuyển đến quầy này đang chờ. Vẫn đóng quầy?"
    )
    await page.click("#counter-confirm-keep")
    await expect(page.locator("#counter-status")).to_have_text("Đang mở")
