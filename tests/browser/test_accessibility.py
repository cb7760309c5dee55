"""Every page under axe-core's WCAG 2.0/2.1/2.2 A and AA rules in real Chromium: the citizen's
pages (kiosk, board, booking, ticket status, guide, rating, check-in), the login page, the
counter workstation, every page the manager console's navigation leads to and the province
admin's pages."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from queue_server.config import Config
from queue_server.services.auth import AuthService
from queue_server.services.clock import FixedClock
from tests.appointments.test_web import at
from tests.conftest import OFFICE, ROOT, start_server
from tests.support.axe import violations

pytestmark = pytest.mark.browser
API = f"/api/v1/offices/{OFFICE}"
PASSWORD = "mat-khau-123"
# An ordinary Wednesday morning: the office is open, so every screen has its working state.
WEDNESDAY = at(2026, 11, 25, 9, 0)
DOWNLOAD = re.compile(r"\.(csv|xlsx|toml|png|svg|ics|json|wav)$")


@pytest.fixture
def web(r: Any, config: Config) -> Iterator[str]:
    thread = start_server(config, FixedClock(WEDNESDAY))
    url = thread.start()
    yield url
    thread.stop()


@pytest.fixture
async def api(web: str, auth: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    token, _ = await auth.login("lan", PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=web, timeout=10, headers=headers) as client:
        yield client


async def call(api: httpx.AsyncClient, path: str, **body: Any) -> Any:
    res = await api.post(f"{API}{path}", json=body or None)
    assert res.status_code in (200, 201), res.text
    return res.json()


class Audit:
    """Collects the violations of every page, so one run names them all."""

    def __init__(self) -> None:
        self.found: list[str] = []

    async def __call__(self, page: Page, what: str) -> None:
        for line in await violations(page):
            self.found.append(f"{what} ({urlsplit(page.url).path}): {line}")

    def check(self) -> None:
        assert not self.found, "axe-core violations:\n  " + "\n  ".join(self.found)


async def test_axe_names_each_violation(browser: Browser) -> None:
    """The check itself: a page with faint text and an unlabelled input fails it, and the
    report says which rule, how bad, which element and why."""
    page = await browser.new_page()
    await page.set_content(
        '<html lang="vi"><title>t</title><body><main>'
        '<p style="color:#aaa;background:#fff">Chờ khoảng 5 phút</p><input name="phone">'
        "</main></body></html>"
    )
    found = await violations(page)
    assert len(found) == 2, found
    assert found[0].startswith("color-contrast (serious) at p: ") and "2.32" in found[0]
    assert found[1].startswith("label (critical) at input: Form elements must have labels.")
    await page.close()


async def log_in(page: Page, web: str, path: str, user: str) -> None:
    await page.goto(f"{web}{path}")
    await page.wait_for_url(re.compile(r".*/login\?next="))
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{web}{path}")


# About 20 pages, each audited: several times the 60 s default on a busy machine is safe.
@pytest.mark.timeout(180)
async def test_citizen_pages_pass_axe(web: str, browser: Browser, api: httpx.AsyncClient) -> None:
    audit = Audit()
    await call(api, "/counters/1/open")
    kiosk = await browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    await kiosk.goto(f"{web}/kiosk/{OFFICE}")
    await kiosk.wait_for_function("() => document.querySelector('.field-meta').textContent")
    await audit(kiosk, "kiosk, the fields")
    await kiosk.click('.field[data-code="HT"]')
    await expect(kiosk.locator("#kiosk")).to_have_attribute("data-screen", "priority")
    await audit(kiosk, "kiosk, priority")
    await kiosk.click(".priority-none")
    await expect(kiosk.locator("#kiosk")).to_have_attribute("data-screen", "ticket")
    await audit(kiosk, "kiosk, the ticket")
    await kiosk.goto(f"{web}/kiosk/{OFFICE}/check-in")
    await audit(kiosk, "kiosk check-in")

    board = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await board.goto(f"{web}/board/{OFFICE}")
    await expect(board.locator("#offline")).to_be_hidden()
    await call(api, "/counters/1/call-next")
    await expect(board.locator('.tile[data-counter="1"] .tile-number')).not_to_have_class(
        re.compile("empty")
    )
    await audit(board, "board with a call")
    # A paused counter keeps its number on the board, dimmed but readable.
    await call(api, "/counters/1/pause")
    await expect(board.locator('.tile[data-counter="1"]')).to_have_attribute("data-state", "paused")
    await audit(board, "board with a paused counter")

    phone = await browser.new_page(viewport={"width": 360, "height": 740})
    mine = await call(api, "/tickets", field="HT")
    await phone.goto(f"{web}/t/{mine['id']}")
    await expect(phone.locator("#number")).to_have_text(mine["number"])
    await audit(phone, "ticket status")
    await phone.goto(f"{web}/t/{mine['id']}/rate")
    await audit(phone, "rating on a phone")
    await kiosk.goto(f"{web}/rate/{OFFICE}/1")
    await audit(kiosk, "rating tablet at counter 1")
    await phone.goto(f"{web}/guide/{OFFICE}")
    await audit(phone, "guide, the fields")
    await phone.goto(f"{web}/guide/{OFFICE}/HT")
    await audit(phone, "guide, a field")
    await phone.goto(f"{web}/book/{OFFICE}")
    await audit(phone, "booking, the fields")
    await phone.click("text=Hộ tịch")
    async with phone.expect_navigation():
        await phone.check("input[name=procedure][value='1.004873']")
    await audit(phone, "booking, procedure and time")
    booked = await call(
        api, "/appointments", field="HT", procedure="1.004873", start="2026-11-26T09:00",
        name="Nguyễn Thị Hoa", phone="0912345678",
    )  # fmt: skip
    await phone.goto(f"{web}/book/{OFFICE}/{booked['code']}")
    await audit(phone, "booking, the appointment")
    await phone.goto(f"{web}/login")
    await audit(phone, "login")
    await phone.goto(f"{web}/login?lang=en")
    await audit(phone, "login in English")
    audit.check()


async def test_counter_pages_pass_axe(web: str, browser: Browser, api: httpx.AsyncClient) -> None:
    audit = Audit()
    context: BrowserContext = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    await log_in(page, web, f"/counter/{OFFICE}", "lan")
    await audit(page, "counter chooser")
    await page.goto(f"{web}/counter/{OFFICE}/1")
    await expect(page.locator("body[data-counter-status]")).to_have_count(1)
    await audit(page, "counter, closed")
    for field in ("HT", "HT", "HT"):
        await call(api, "/tickets", field=field)
    await page.click("#btn-open")
    await expect(page.locator("#counter-status")).to_have_text("Đang mở")
    await expect(page.locator("#waiting tr.ticket")).to_have_count(3)
    await audit(page, "counter, open with people waiting")
    await page.keyboard.press("F1")  # the call key
    await expect(page.locator("#waiting tr.ticket")).to_have_count(2)
    await audit(page, "counter, a ticket called")
    await page.click("#btn-transfer")
    await expect(page.locator("#transfer-dialog")).to_be_visible()
    await audit(page, "counter, the transfer dialog")
    await page.keyboard.press("Escape")
    await expect(page.locator("#transfer-dialog")).to_be_hidden()
    await page.click("#btn-start")
    await expect(page.locator("#btn-finish")).to_be_enabled()
    await audit(page, "counter, serving")
    await page.click("#btn-result")
    await expect(page.locator("#result-dialog")).to_be_visible()
    await audit(page, "counter, the result-pickup dialog")
    await page.keyboard.press("Escape")
    await expect(page.locator("#result-dialog")).to_be_hidden()
    for button, dialog, name in (
        ("#btn-served", "#served-dialog", "the tickets served today"),
        ("#btn-postpone", "#postpone-dialog", "postponing a result pickup"),
    ):
        await page.click(button)
        await expect(page.locator(dialog)).to_be_visible()
        await audit(page, f"counter, {name}")
        await page.keyboard.press("Escape")
        await expect(page.locator(dialog)).to_be_hidden()
    await page.click("#btn-finish")
    await expect(page.locator("#btn-start")).to_be_disabled()
    await page.click("#btn-pause")  # the last counter open for Hộ tịch, two waiting
    await expect(page.locator("#counter-confirm")).to_be_visible()
    await audit(page, "counter, pausing the last open counter of a field")
    await page.click("#counter-confirm-keep")
    await context.close()
    audit.check()


# About 20 pages, each audited: several times the 60 s default on a busy machine is safe.
@pytest.mark.timeout(180)
async def test_every_console_page_passes_axe(
    web: str, browser: Browser, api: httpx.AsyncClient
) -> None:
    audit = Audit()
    # A live floor: an open counter serving, a paused one, people waiting.
    for field in ("HT", "HT", "DD"):
        await call(api, "/tickets", field=field)
    await call(api, "/counters/1/open")
    await call(api, "/counters/1/call-next")
    await call(api, "/counters/4/open")
    await call(api, "/counters/4/pause", force=True)  # the last open for Đất đai
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await context.new_page()
    base = f"/manage/{OFFICE}"
    await log_in(page, web, base, "hoa")
    nav = await page.eval_on_selector_all(".mg-nav a[data-nav]", "as => as.map(a => a.href)")
    assert len(nav) >= 12
    # The navigation's pages, and one level of the pages they link to (a field, a counter, a
    # procedure, a staff member...): one of each kind, told apart by its path without digits
    # and codes, so a long list of procedures is audited once.
    seen_kinds: set[str] = set()
    queue = [urlsplit(u).path for u in nav]
    visited: list[str] = []
    while queue:
        path = queue.pop(0)
        if path in visited:
            continue
        visited.append(path)
        res = await page.goto(f"{web}{path}")
        assert res is not None and res.status == 200, path
        if res.headers.get("content-type", "").split(";")[0] != "text/html":
            continue
        await audit(page, "console")
        if urlsplit(path).path.count("/") > 4:
            continue
        links = await page.eval_on_selector_all(
            "main a[href]:not([download])", "as => as.map(a => a.href)"
        )
        for url in links:
            parts = urlsplit(url)
            if not parts.path.startswith(base + "/") or DOWNLOAD.search(parts.path):
                continue
            kind = re.sub(r"/[^/]*\d[^/]*|/[A-Z]{1,8}$", "/*", parts.path)
            if kind not in seen_kinds:
                seen_kinds.add(kind)
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert {f"{base}/fields/HT", f"{base}/counters/1", f"{base}/reports"} <= set(visited)
    assert any(re.search(r"/procedures/[\d.]+$", path) for path in visited), visited
    # A form that comes back with its errors, and a page refused to a clerk.
    await page.goto(f"{web}{base}/fields/HT")
    await page.fill("input[name=name_vi]", "")
    await page.fill("input[name=service_minutes]", "-3")
    await page.click("button.primary")
    await expect(page.locator('[data-error-for="name_vi"]')).to_be_visible()
    await audit(page, "console form with errors")
    await context.close()
    clerk = await browser.new_page(viewport={"width": 1366, "height": 768})
    await log_in(clerk, web, f"/counter/{OFFICE}", "lan")
    res = await clerk.goto(f"{web}{base}")
    assert res is not None and res.status == 403
    await audit(clerk, "console refused to a clerk")
    audit.check()


async def test_province_pages_pass_axe(
    web: str, browser: Browser, api: httpx.AsyncClient, auth: AuthService
) -> None:
    audit = Audit()
    await call(api, "/tickets", field="HT")
    await call(api, "/counters/1/open")
    await auth.add_user("tinh", "admin", PASSWORD)
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    await log_in(page, web, "/province", "tinh")
    await expect(page.locator("#live-text")).to_have_text("Cập nhật trực tiếp")
    await page.locator("thead th button").nth(1).click()  # sorted: aria-sort on its header
    await audit(page, "province, live")
    await page.goto(f"{web}/province/reports")
    await audit(page, "province, the month's report")
    await page.goto(f"{web}/province/reports?lang=en")
    await audit(page, "province, the month's report in English")
    audit.check()


# ---- the kiosk with large text -------------------------------------------------------------

# What is wrong with the screen as it is: text pushed out sideways, cut by its box, or drawn
# over other text. Vertical scrolling is allowed (WCAG 1.4.10): 200 % text may not fit at once.
_LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1)
    problems.push(`the page scrolls sideways by ${root.scrollWidth - root.clientWidth}px`);
  const name = (e) =>
    e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`;
  const shown = [...document.querySelectorAll("header *, main *")].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden";
  });
  for (const e of shown) {
    const style = getComputedStyle(e);
    if (style.display === "inline") continue;
    if (e.scrollWidth > e.clientWidth + 1)
      problems.push(`${name(e)} is ${e.scrollWidth - e.clientWidth}px too narrow for its text`);
    if (style.overflowY !== "visible" && e.scrollHeight > e.clientHeight + 1)
      problems.push(`${name(e)} cuts ${e.scrollHeight - e.clientHeight}px of its text`);
    const r = e.getBoundingClientRect();
    if (r.left < -1 || r.right > root.clientWidth + 1)
      problems.push(`${name(e)} reaches outside the screen (${r.left | 0}..${r.right | 0})`);
  }
  // Boxes that draw text or a picture must not cover one another.
  const ink = shown.filter((e) => e.tagName === "IMG" || [...e.childNodes].some(
    (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()));
  for (let i = 0; i < ink.length; i++) {
    for (let j = i + 1; j < ink.length; j++) {
      const [a, b] = [ink[i], ink[j]];
      if (a.contains(b) || b.contains(a)) continue;
      const [p, q] = [a.getBoundingClientRect(), b.getBoundingClientRect()];
      const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (x > 1 && y > 1) problems.push(`${name(a)} and ${name(b)} overlap`);
    }
  }
  return problems;
}"""

PORTRAIT = ViewportSize(width=1080, height=1920)
LANDSCAPE = ViewportSize(width=1920, height=1080)


async def large_text_kiosk(
    browser: Browser, web: str, screen: ViewportSize, how: str, percent: int
) -> tuple[BrowserContext, Page]:
    """The kiosk on `screen` with its text at `percent`: the browser zoomed (fewer CSS pixels,
    each drawn larger, as --force-device-scale-factor does) or its default font size raised
    from 16 px."""
    scale = percent / 100
    if how == "zoom":
        w, h = round(screen["width"] / scale), round(screen["height"] / scale)
        size = ViewportSize(width=w, height=h)
        ctx = await browser.new_context(viewport=size, device_scale_factor=scale, has_touch=True)
    else:
        ctx = await browser.new_context(viewport=screen, has_touch=True)
    page = await ctx.new_page()
    if how == "font":
        cdp = await ctx.new_cdp_session(page)
        await cdp.send("Page.enable")
        font = round(16 * scale)
        await cdp.send("Page.setFontSizes", {"fontSizes": {"standard": font, "fixed": font}})
    await page.goto(f"{web}/kiosk/{OFFICE}")
    await page.wait_for_function("() => document.querySelector('.field-meta').textContent")
    return ctx, page


async def holds(page: Page, shot: Path) -> None:
    """Nothing on the screen is pushed out, cut or drawn over other text (a picture of it is
    kept in `shot` to look at)."""
    problems = await page.evaluate(_LAYOUT_PROBLEMS)
    # Not full_page: Chromium's full-page capture drops the font sizes set over CDP.
    await page.screenshot(path=str(shot))
    assert not problems, f"{shot.name}:\n  " + "\n  ".join(problems)


async def text_px(page: Page, selector: str) -> float:
    """The size a citizen sees: CSS pixels times the screen's pixels per CSS pixel."""
    return float(
        await page.eval_on_selector(
            selector, "e => parseFloat(getComputedStyle(e).fontSize) * devicePixelRatio"
        )
    )


@pytest.mark.parametrize(
    ("how", "percent"), [("zoom", 200), ("font", 200), ("zoom", 150), ("font", 150)]
)
@pytest.mark.parametrize("screen", [PORTRAIT, LANDSCAPE], ids=["1080x1920", "1920x1080"])
async def test_kiosk_holds_large_text(
    web: str, browser: Browser, api: httpx.AsyncClient, screen: ViewportSize, how: str,
    percent: int, tmp_path: Path,
) -> None:  # fmt: skip
    await call(api, "/counters/1/open")
    for _ in range(4):
        await call(api, "/tickets", field="HT")
    plain = await browser.new_page(viewport=screen)
    await plain.goto(f"{web}/kiosk/{OFFICE}")
    normal = {s: await text_px(plain, s) for s in (".field-name", "h1")}
    await plain.close()
    out = ROOT / "docs" / "screenshots" if os.environ.get("SOTHUTU_SCREENSHOTS") else tmp_path
    name = f"kiosk-{how}{percent}-{screen['width']}x{screen['height']}"
    ctx, page = await large_text_kiosk(browser, web, screen, how, percent)
    # The kiosk follows the browser's text size instead of fixing it to the screen's width.
    for selector, px in normal.items():
        assert await text_px(page, selector) >= 0.95 * percent / 100 * px, selector
    await holds(page, out / f"{name}-start.png")
    await page.click('.field[data-code="HT"]')
    await expect(page.locator("#kiosk")).to_have_attribute("data-screen", "priority")
    await holds(page, out / f"{name}-priority.png")
    await page.click(".priority-none")
    await expect(page.locator("#kiosk")).to_have_attribute("data-screen", "ticket")
    await page.wait_for_function("document.getElementById('ticket-qr').naturalWidth > 0")
    await holds(page, out / f"{name}-ticket.png")
    await ctx.close()


async def test_a_smaller_kiosk_keeps_its_look_at_the_browsers_defaults(
    web: str, browser: Browser, api: httpx.AsyncClient
) -> None:
    """The floor for large text does not enlarge text on a 1366x768 screen at 100 %: sizes
    follow its short side and every field fits without scrolling."""
    await call(api, "/counters/1/open")
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    await page.goto(f"{web}/kiosk/{OFFICE}")
    await page.wait_for_function("() => document.querySelector('.field-meta').textContent")
    root = await page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert root == pytest.approx(0.022 * 768, abs=0.01)
    assert await page.evaluate("document.documentElement.scrollHeight") == 768
    assert await page.evaluate(_LAYOUT_PROBLEMS) == []
    await page.close()
