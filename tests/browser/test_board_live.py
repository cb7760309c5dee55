"""The TV board follows the manager's changes without a reload (a counter added, renamed or
removed, a field renamed), and a board opened just after a call announces it: once, in
order, not again after a reconnect or a reload, and not when the call is old or its
citizen is already at the counter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, expect

from queue_server.config import Config
from queue_server.services.clock import FixedClock
from tests.browser.test_board import (  # noqa: F401
    announced,
    call_next,
    context,
    issue,
    open_board,
    open_counters,
    recent_numbers,
    short_recordings,
    tile,
    wait_for_clips,
)
from tests.conftest import OFFICE, start_server
from tests.support.console import Session

MANAGE = f"/manage/{OFFICE}"
LIVE_MS = 2000
FIELD = {
    "first_number": "1", "last_number": "999", "service_minutes": "10",
    "target_wait_minutes": "15",
}  # fmt: skip


def names(page: Page) -> Any:
    return page.locator(".tile .tile-name")


async def test_counters_added_renamed_removed_and_a_field_renamed_appear_live(
    server: str,
    http: httpx.AsyncClient,
    staff: dict[str, str],
    manager: Session,
    context: BrowserContext,  # noqa: F811
) -> None:
    page = await open_board(context, server, "?voice=off")
    some = await open_board(context, server, "?counters=1,2&voice=off")
    for p in (page, some):
        await p.evaluate("window.__notReloaded = true")
    await expect(names(page)).to_have_text([f"Quầy {n}" for n in (1, 2, 3, 4, 5)])
    fields = page.locator('.tile[data-counter="1"] .tile-fields')
    await expect(fields).to_have_text("Hộ tịch · Tư pháp")

    await manager.save(f"{MANAGE}/fields/HT/save",
               {"prefix": "A", "name_vi": "Hộ tịch – Khai sinh", "name_en": "Civil status",
                **FIELD})  # fmt: skip
    await expect(fields).to_have_text("Hộ tịch – Khai sinh · Tư pháp", timeout=LIVE_MS)
    await expect(some.locator('.tile[data-counter="2"] .tile-fields')).to_have_text(
        "Hộ tịch – Khai sinh · Chứng thực", timeout=LIVE_MS
    )

    await manager.save(f"{MANAGE}/counters/3/save", {"name": "Quầy 3 – Một cửa", "order_CT": "1"})
    await expect(names(page).nth(2)).to_have_text("Quầy 3 – Một cửa", timeout=LIVE_MS)
    await expect(page.locator('.tile[data-counter="3"] .tile-fields')).to_have_text("Chứng thực")

    await manager.save(f"{MANAGE}/counters/new/save", {"number": "6", "order_DD": "1"})
    await expect(names(page)).to_have_text(
        ["Quầy 1", "Quầy 2", "Quầy 3 – Một cửa", "Quầy 4", "Quầy 5", "Quầy 6"], timeout=LIVE_MS
    )
    await manager.save(f"{MANAGE}/counters/2/delete", {})
    await expect(names(page)).to_have_text(
        ["Quầy 1", "Quầy 3 – Một cửa", "Quầy 4", "Quầy 5", "Quầy 6"], timeout=LIVE_MS
    )
    # A board of counters 1 and 2 loses 2 and does not take the new 6.
    await expect(some.locator(".tile-name")).to_have_text(["Quầy 1"], timeout=LIVE_MS)

    # The new counter's tile is a tile like the others: it shows its call.
    await open_counters(http, staff, 6)
    await issue(http, "DD")
    await call_next(http, staff, 6)
    await expect(tile(page, 6)).to_have_text("C001", timeout=LIVE_MS)
    await expect(recent_numbers(page)).to_have_text(["C001"])
    await expect(page.locator('.tile[data-counter="6"]')).to_have_attribute("data-state", "called")
    await expect(recent_numbers(some)).to_have_count(0)
    for p in (page, some):
        assert await p.evaluate("window.__notReloaded") is True


@pytest.fixture
def fixed_server(r: Any, config: Config, clock: FixedClock) -> Iterator[str]:
    """A server on the test clock, which moves only when a test says so."""
    thread = start_server(config, clock)
    url = thread.start()
    yield url
    thread.stop()


@pytest.fixture
async def fixed_http(fixed_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fixed_server, timeout=10) as client:
        yield client


async def reconnect(page: Page, snapshot: bool) -> None:
    """Drops the board's socket; it reconnects with the last id it saw (the server replays
    what it missed) or, with `snapshot`, with none (it gets a snapshot)."""
    await page.evaluate(
        """snapshot => {
          const s = window.__board.stream;
          window.__oldSocket = s.socket;
          if (snapshot) s.lastId = null;
          s.socket.close();
        }""",
        snapshot,
    )
    await page.wait_for_function(
        "() => { const s = window.__board.stream;"
        " return s.online && s.socket && s.socket !== window.__oldSocket; }",
        timeout=10_000,
    )


@pytest.mark.timeout(120)
async def test_a_board_opened_2_s_after_a_call_announces_it_once(
    fixed_server: str,
    fixed_http: httpx.AsyncClient,
    clock: FixedClock,
    staff: dict[str, str],
    context: BrowserContext,  # noqa: F811
    config: Config,
) -> None:
    http = fixed_http
    await wait_for_clips(http)
    short_recordings(config)
    await open_counters(http, staff, 1, 2, 3)
    for _ in range(3):
        await issue(http, "HT")
    await call_next(http, staff, 1)
    clock.advance(2)
    page = await open_board(context, fixed_server)
    await expect(recent_numbers(page)).to_have_text(["A001"])
    await page.wait_for_function("window.__board.announced.length === 1", timeout=20_000)
    [first] = await announced(page)
    assert first | {"number": "A001", "counter": 1, "mode": "clips", "ok": True} == first

    # A reconnect replays nothing it had; one that gets a snapshot has A001 again, young.
    await reconnect(page, snapshot=False)
    await reconnect(page, snapshot=True)
    await call_next(http, staff, 2)
    await page.wait_for_function("window.__board.announced.length === 2", timeout=20_000)
    assert [a["number"] for a in await announced(page)] == ["A001", "A002"]

    # A reload of the same board does not read out what it said a moment ago.
    await page.reload()
    await page.wait_for_function("window.__board && window.__board.stream.online")
    await expect(recent_numbers(page)).to_have_text(["A002", "A001"])
    await call_next(http, staff, 3)
    await page.wait_for_function("window.__board.announced.length === 1", timeout=20_000)
    assert [a["number"] for a in await announced(page)] == ["A003"]


@pytest.mark.timeout(90)
async def test_an_old_call_or_one_already_served_is_listed_not_announced(
    fixed_server: str,
    fixed_http: httpx.AsyncClient,
    clock: FixedClock,
    staff: dict[str, str],
    context: BrowserContext,  # noqa: F811
) -> None:
    http = fixed_http
    await open_counters(http, staff, 1, 2, 3)
    for _ in range(3):
        await issue(http, "HT")
    await call_next(http, staff, 1)  # A001, 31 s before the board opens
    clock.advance(29)
    second = await call_next(http, staff, 2)  # A002: its citizen is at the counter already
    resp = await http.post(
        f"/api/v1/tickets/{second['id']}/start", headers=staff, json={"counter": 2}
    )
    assert resp.status_code == 200, resp.text
    clock.advance(2)
    page = await open_board(context, fixed_server, "?voice=off")
    await expect(recent_numbers(page)).to_have_text(["A002", "A001"])
    await expect(tile(page, 1)).to_have_text("A001")
    await call_next(http, staff, 3)
    # The silent board logs each call it highlights as it starts (and as announced 6 s
    # later): the first one it starts is the next call, none of those it opened with.
    await page.wait_for_function("window.__board.started.length === 1", timeout=20_000)
    assert [s["number"] for s in await page.evaluate("window.__board.started")] == ["A003"]
