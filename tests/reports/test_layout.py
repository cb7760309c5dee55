"""The report pages on an office PC's screen (1366×768) in real Chromium: no horizontal
scroll bar on the page, and every table whole inside the work area."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from queue_server.services.auth import AuthService
from tests.browser.conftest import browser  # noqa: F401  (the fixture)
from tests.conftest import OFFICE, ROOT
from tests.manage.test_browser import manager_page
from tests.reports import history
from tests.reports.test_web import recent  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
SHOTS = ROOT / "docs" / "screenshots"
BASE = f"/manage/{OFFICE}/reports"


async def overflow(page: Page) -> dict[str, Any]:
    """How far the page and each table reach past what the window shows."""
    result: dict[str, Any] = await page.evaluate(
        """() => ({
          page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          tables: [...document.querySelectorAll('table')].map((t) => ({
            name: t.closest('[data-table]')?.dataset.table || t.id || '?',
            right: Math.ceil(t.getBoundingClientRect().right),
            box: Math.floor(
              (t.closest('.rp-scroll') || t.parentElement).getBoundingClientRect().right),
            window: document.documentElement.clientWidth,
          })),
        })"""
    )
    return result


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_reports_fit_a_1366_screen(
    recent: tuple[list[date], list[history.Visit]],  # noqa: F811  (before the server starts)
    server: str,
    browser: Browser,  # noqa: F811
    auth: AuthService,
    lang: str,
) -> None:
    days, _ = recent
    page = await manager_page(browser, server, auth)
    await page.goto(
        f"{server}{BASE}?from={days[0].isoformat()}&to={days[-1].isoformat()}&lang={lang}"
    )
    found = await overflow(page)
    assert len(found["tables"]) >= 5  # days, field, counter, staff, class, ...
    assert found["page"] == 0, "the page scrolls sideways"
    wider = [t for t in found["tables"] if t["right"] > t["box"] or t["right"] > t["window"]]
    assert not wider, wider
    if lang == "vi":
        await page.screenshot(path=str(SHOTS / "reports-1366x768.png"), full_page=True)
    # The monthly report (made for A4) on the same screen.
    await page.goto(f"{server}{BASE}/monthly?month={days[-1]:%Y-%m}&lang={lang}")
    found = await overflow(page)
    assert found["tables"] and found["page"] == 0, "the monthly page scrolls sideways"
    assert not [t for t in found["tables"] if t["right"] > t["window"]], found["tables"]
