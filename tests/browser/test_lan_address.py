"""A kiosk on the office network, reaching the server by a name of the network rather than
127.0.0.1: the QR code it shows leads to that same address, so a phone on the network
opens the ticket's status page (no server.public_url in config.toml)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Browser, async_playwright

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path
from tests.browser.test_kiosk import field, open_counters
from tests.conftest import OFFICE

# What the office's DNS (or a kiosk's hosts file) would say; Chromium is told it directly,
# so that the server is reached by a name that is not loopback.
LAN_NAME = "sothutu.phuong.lan"


@pytest.fixture
async def lan_browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"]
        b = await p.chromium.launch(executable_path=chromium_path(), args=args)
        try:
            yield b
        finally:
            await b.close()


async def test_kiosk_ticket_qr_leads_to_the_address_the_kiosk_used(
    server: str, http: httpx.AsyncClient, staff: dict[str, str], lan_browser: Browser
) -> None:
    await open_counters(http, staff, 1)
    port = int(server.rsplit(":", 1)[1])
    assert port != 8000  # not config.toml's port: the QR must follow the one used
    base = f"http://{LAN_NAME}:{port}"
    context = await lan_browser.new_context(viewport={"width": 1080, "height": 1920})
    page = await context.new_page()
    await page.goto(f"{base}/kiosk/{OFFICE}")
    await page.wait_for_function("() => document.querySelector('.field-meta').textContent")
    await field(page, "HT").click()
    await page.click("text=Không ưu tiên")
    await page.wait_for_selector("#ticket-number:visible")
    await page.wait_for_function("document.getElementById('ticket-qr').naturalWidth > 0")
    src = await page.get_attribute("#ticket-qr", "src")
    assert src is not None
    ticket_id = src.split("/")[2]
    png = await page.locator("#ticket-qr").screenshot()
    await context.close()
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == f"{base}/t/{ticket_id}"
