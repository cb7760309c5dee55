"""The province admin's page in real headless Chromium: axe-core finds nothing to fix, a
refused form keeps what was typed and says why next to the input, an added office shows."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from queue_server.services.auth import AuthService
from tests.conftest import OFFICE
from tests.support.axe import violations
from tests.support.console import PASSWORD


async def test_the_offices_page_in_a_browser(
    served: str, browser: Browser, auth: AuthService
) -> None:
    await auth.add_user("tinh", "admin", PASSWORD)
    page = await browser.new_page(viewport={"width": 1366, "height": 768})
    await page.goto(f"{served}/province/offices")
    await page.fill("input[name=username]", "tinh")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{served}/province/offices")
    found = await violations(page)
    copy = page.locator("#add-copy")
    await copy.locator("select[name=copy_from]").select_option(OFFICE)
    await copy.locator("input[name=slug]").fill("Phường Kim Mã")
    await copy.locator("input[name=name]").fill("Phường Kim Mã")
    await copy.locator("button[type=submit]").click()
    error = page.locator('#add-copy [data-error-for="slug"]')
    await expect(error).to_contain_text("phuong-kim-ma")
    await expect(page.locator("#add-copy input[name=name]")).to_have_value("Phường Kim Mã")
    found += await violations(page)
    await page.locator("#add-copy input[name=slug]").fill("phuong-kim-ma")
    await page.locator("#add-copy button[type=submit]").click()
    await expect(page.locator("p.mg-notice")).to_be_visible()
    row = page.locator('tr[data-office="phuong-kim-ma"]')
    await expect(row).to_have_attribute("data-state", "active")
    page.on("dialog", lambda dialog: dialog.accept())  # "close this office?"
    await row.locator("button.danger").click()
    await expect(row).to_have_attribute("data-state", "closed")
    found += await violations(page)
    assert not found, "axe-core violations:\n  " + "\n  ".join(found)
