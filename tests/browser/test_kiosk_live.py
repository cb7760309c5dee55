"""An open kiosk follows the manager's changes without a reload: a renamed field, a field
added or removed, the counters serving a field; and a tap on its way while a field is
removed is refused in words a citizen reads, never lost in silence."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from playwright.async_api import BrowserContext, Page, Route, expect

from tests.browser.test_kiosk import context, field, kiosk, open_counters  # noqa: F401
from tests.conftest import OFFICE
from tests.support.console import Session

MANAGE = f"/manage/{OFFICE}"
FIELD = {
    "first_number": "1", "last_number": "999", "service_minutes": "10",
    "target_wait_minutes": "15",
}  # fmt: skip
# Live means within a couple of seconds of the manager's save, on the page as it is.
LIVE_MS = 2000


async def rename(manager: Session, code: str, prefix: str, name_vi: str, name_en: str) -> None:
    form = {"prefix": prefix, "name_vi": name_vi, "name_en": name_en, **FIELD}
    await manager.save(f"{MANAGE}/fields/{code}/save", form)


async def serve(manager: Session, counter: int, *codes: str) -> None:
    await manager.save(f"{MANAGE}/counters/{counter}/save", {f"order_{c}": str(i + 1) for i, c in
                                                      enumerate(codes)})  # fmt: skip


async def remove_tp(manager: Session, *keep: str) -> None:
    """Tư pháp (E) is served by counters 1 and 5: they stop serving it (counter 1 keeps
    `keep`, or HT), then it goes."""
    await serve(manager, 1, *(keep or ("HT",)))
    await serve(manager, 5, "LD", "DD")
    await manager.save(f"{MANAGE}/fields/TP/delete", {})


def codes(page: Page) -> Any:
    return page.locator(".field")


async def not_reloaded(page: Page) -> None:
    await page.evaluate("window.__notReloaded = true")


async def test_an_open_kiosk_follows_renames_new_and_removed_fields_and_counters(
    server: str,
    http: httpx.AsyncClient,
    staff: dict[str, str],
    manager: Session,
    context: BrowserContext,  # noqa: F811
) -> None:
    await open_counters(http, staff, 1)  # serves HT and TP
    page = await kiosk(context, server)
    await not_reloaded(page)
    ht = field(page, "HT")
    await expect(ht.locator(".field-name")).to_have_text("Hộ tịch")
    await expect(field(page, "CT")).to_be_disabled()

    await rename(manager, "HT", "A", "Hộ tịch – Khai sinh, khai tử", "Civil status")
    await expect(ht.locator(".field-name")).to_have_text(
        "Hộ tịch – Khai sinh, khai tử", timeout=LIVE_MS
    )
    # Counter 1 (open) now serves Chứng thực too: that field can be taken at once.
    await serve(manager, 1, "HT", "CT", "TP")
    await expect(field(page, "CT")).to_be_enabled(timeout=LIVE_MS)
    await expect(field(page, "CT").locator(".meta-waiting")).to_have_text("0 người đang chờ")

    # A new field, served by the open counter: a new button, in the office's order.
    await manager.save(f"{MANAGE}/fields/new/save",
               {"code": "QS", "prefix": "F", "name_vi": "Quân sự", "name_en": "Military",
                **FIELD})  # fmt: skip
    await expect(field(page, "QS")).to_be_visible(timeout=LIVE_MS)
    await expect(field(page, "QS")).to_be_disabled()  # no counter serves it yet
    await expect(field(page, "QS").locator(".field-meta")).to_have_text("Chưa có quầy mở")
    await serve(manager, 1, "HT", "CT", "TP", "QS")
    await expect(field(page, "QS")).to_be_enabled(timeout=LIVE_MS)
    await expect(field(page, "QS").locator(".field-prefix")).to_have_text("F")

    await remove_tp(manager, "HT", "CT", "QS")
    await expect(field(page, "TP")).to_have_count(0, timeout=LIVE_MS)
    await expect(codes(page)).to_have_count(5)
    order = await codes(page).evaluate_all("els => els.map(e => e.dataset.code)")
    assert order == ["HT", "CT", "DD", "LD", "QS"]

    # The new field issues tickets like the others, and the ticket names it.
    await field(page, "QS").click()
    await expect(page.locator("#chosen-field")).to_have_text("F · Quân sự")
    await page.click("text=Không ưu tiên")
    await expect(page.locator("#ticket-number")).to_have_text("F001")
    await expect(page.locator("#ticket-field")).to_have_text("Quân sự")
    assert await page.evaluate("window.__notReloaded") is True


async def test_a_rename_reaches_the_priority_screen_and_a_removed_field_sends_back_with_a_word(
    server: str,
    http: httpx.AsyncClient,
    staff: dict[str, str],
    manager: Session,
    context: BrowserContext,  # noqa: F811
) -> None:
    await open_counters(http, staff, 1)
    page = await kiosk(context, server)
    await field(page, "TP").click()
    await expect(page.locator("#chosen-field")).to_have_text("E · Tư pháp")
    await rename(manager, "TP", "E", "Tư pháp – Hòa giải", "Justice")
    await expect(page.locator("#chosen-field")).to_have_text(
        "E · Tư pháp – Hòa giải", timeout=LIVE_MS
    )
    await remove_tp(manager)
    await expect(page.locator("#kiosk")).to_have_attribute("data-screen", "start", timeout=LIVE_MS)
    await expect(page.locator("#notice")).to_have_text(
        "Lĩnh vực “Tư pháp – Hòa giải” vừa ngừng nhận số. Mời chọn lại."
    )
    await expect(field(page, "TP")).to_have_count(0)
    # Choosing another field clears the word.
    await field(page, "HT").click()
    await expect(page.locator("#notice")).to_be_hidden()


async def held_post(page: Page) -> tuple[asyncio.Event, asyncio.Event]:
    """Holds the kiosk's ticket request until released: (sent, release)."""
    sent, release = asyncio.Event(), asyncio.Event()

    async def hold(route: Route) -> None:
        if route.request.method != "POST":
            await route.continue_()
            return
        sent.set()
        await release.wait()
        await route.continue_()

    await page.route("**/api/v1/offices/*/tickets", hold)
    return sent, release


async def test_a_tap_on_its_way_during_a_rename_gets_its_ticket(
    server: str,
    http: httpx.AsyncClient,
    staff: dict[str, str],
    manager: Session,
    context: BrowserContext,  # noqa: F811
) -> None:
    await open_counters(http, staff, 1)
    page = await kiosk(context, server)
    sent, release = await held_post(page)
    await field(page, "HT").click()
    await page.click("text=Không ưu tiên")
    await asyncio.wait_for(sent.wait(), 5)
    await rename(manager, "HT", "A", "Hộ tịch – Khai sinh, khai tử", "Civil status")
    await serve(manager, 1, "HT", "CT")
    release.set()
    await expect(page.locator("#ticket-number")).to_have_text("A001")
    queue = (await http.get(f"/api/v1/offices/{OFFICE}/queue", headers=staff)).json()
    assert [t["number"] for t in queue["lanes"]["HT"]] == ["A001"]


async def test_a_tap_on_its_way_when_its_field_is_removed_is_refused_in_words(
    server: str,
    http: httpx.AsyncClient,
    staff: dict[str, str],
    manager: Session,
    context: BrowserContext,  # noqa: F811
) -> None:
    await open_counters(http, staff, 1)
    page = await kiosk(context, server)
    sent, release = await held_post(page)
    await field(page, "TP").click()
    await page.click("text=Không ưu tiên")
    await asyncio.wait_for(sent.wait(), 5)
    await remove_tp(manager)
    release.set()
    await expect(page.locator("#failed")).to_have_text(
        "Lĩnh vực “Tư pháp” vừa ngừng nhận số. Mời chọn lại."
    )
    queue = (await http.get(f"/api/v1/offices/{OFFICE}/queue", headers=staff)).json()
    assert all(not tickets for tickets in queue["lanes"].values())
    # Back at the start by itself, without the removed field.
    await expect(page.locator("#kiosk")).to_have_attribute("data-screen", "start", timeout=8000)
    await expect(field(page, "TP")).to_have_count(0)


async def test_renamed_and_removed_priority_classes_reach_an_open_kiosk(
    server: str,
    http: httpx.AsyncClient,
    staff: dict[str, str],
    manager: Session,
    context: BrowserContext,  # noqa: F811
) -> None:
    await open_counters(http, staff, 1)
    page = await kiosk(context, server)
    await not_reloaded(page)
    classes = [
        ("elderly", "Người từ 75 tuổi", "Aged 75 or over"),
        ("disabled", "Người khuyết tật", "Person with disability"),
        ("pregnant", "Phụ nữ mang thai", "Pregnant woman"),
        ("meritorious", "Người có công với cách mạng", "Person with meritorious service"),
        ("appointment", "Có lịch hẹn", "Appointment"),
    ]
    form = {"interleave": "2", "rows": str(len(classes)), "delete_2": "on"}
    for i, (code, vi, en) in enumerate(classes):
        form |= {f"code_{i}": code, f"name_vi_{i}": vi, f"name_en_{i}": en}
    await manager.save(f"{MANAGE}/priority/save", form)
    # Once the kiosk has the new classes (its next screen shows them), without a reload.
    await page.wait_for_function(
        "() => [...document.querySelectorAll('.priority')].some("
        "b => b.textContent === 'Người từ 75 tuổi')",
        timeout=LIVE_MS,
    )
    await field(page, "HT").click()
    labels = await page.locator(".priority").all_inner_texts()
    assert labels == [
        "Không ưu tiên",
        "Người từ 75 tuổi",
        "Người khuyết tật",
        "Người có công với cách mạng",
    ]
    await page.click("text=Người từ 75 tuổi")
    await expect(page.locator("#ticket-number")).to_have_text("A001")
    await expect(page.locator("#ticket-priority")).to_have_text("Người từ 75 tuổi")
    assert await page.evaluate("window.__notReloaded") is True
