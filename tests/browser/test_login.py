from __future__ import annotations

from playwright.async_api import Browser

from queue_server.services.auth import AuthService
from tests.conftest import OFFICE


async def test_login_page_logs_in_and_rejects_wrong_password(
    server: str, browser: Browser, auth: AuthService
) -> None:
    await auth.add_user("lan", "staff", "mat-khau-123", offices=[OFFICE])
    page = await browser.new_page()
    await page.goto(f"{server}/login?next=/healthz")
    assert await page.title() == "Đăng nhập · Hệ thống xếp hàng tự động"
    await page.fill("input[name=username]", "lan")
    await page.fill("input[name=password]", "sai")
    await page.click("button[type=submit]")
    assert await page.text_content(".error") == "Sai tên đăng nhập hoặc mật khẩu."
    await page.fill("input[name=password]", "mat-khau-123")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{server}/healthz")
    # The session cookie authenticates API calls; a state change needs the CSRF header.
    status = await page.evaluate(
        "fetch('/api/v1/offices/phuong-ba-dinh/counters/1/open', {method: 'POST'})"
        ".then(r => r.status)"
    )
    assert status == 403
    await page.goto(f"{server}/login")
    csrf = await page.get_attribute("meta[name=csrf-token]", "content")
    status = await page.evaluate(
        "csrf => fetch('/api/v1/offices/phuong-ba-dinh/counters/1/open',"
        " {method: 'POST', headers: {'X-CSRF-Token': csrf}}).then(r => r.status)",
        csrf,
    )
    assert status == 200


async def test_login_in_english(server: str, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"{server}/login?lang=en")
    assert await page.text_content("h1") == "Log in"
    await page.goto(f"{server}/login")  # the choice is remembered
    assert await page.text_content("h1") == "Log in"
