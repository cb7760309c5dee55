"""Public guidance pages and the printable page of guidance QR codes."""

from __future__ import annotations

import io

import httpx
import zxingcpp
from PIL import Image
from playwright.async_api import Browser

from queue_server.config import Config
from tests.manage.test_browser import SHOTS
from tests.support.console import OFFICE, Session, log_in

BASE = f"/manage/{OFFICE}"


async def test_guide_shows_a_fields_procedures(http: httpx.AsyncClient) -> None:
    index = await http.get(f"/guide/{OFFICE}")
    assert index.status_code == 200 and f'href="/guide/{OFFICE}/HT"' in index.text
    page = await http.get(f"/guide/{OFFICE}/HT")
    assert page.status_code == 200
    assert "Cấp Giấy xác nhận tình trạng hôn nhân" in page.text
    assert "2 ngày làm việc" in page.text and "Không chờ" in page.text
    assert (await http.get(f"/guide/{OFFICE}/XX")).status_code == 404


async def test_guide_follows_the_consoles_changes(
    manager: Session, http: httpx.AsyncClient
) -> None:
    res = await manager.post(
        f"{BASE}/fields/TP/procedures/new/save",
        {"code": "2.001009", "name_vi": "Cấp bản sao trích lục", "legal_days": "1",
         "documents": "Tờ khai\nGiấy tờ tùy thân", "fee": "8.000 đồng/bản"},
    )  # fmt: skip
    assert res.status_code == 303
    page = (await http.get(f"/guide/{OFFICE}/TP")).text
    assert "Cấp bản sao trích lục" in page and "<li>Tờ khai</li>" in page
    assert "8.000 đồng/bản" in page and "1 ngày làm việc" in page


async def test_qr_page_codes_open_each_fields_guide(
    server: str, browser: Browser, manager: Session, config: Config
) -> None:
    context = await browser.new_context(viewport={"width": 794, "height": 1123})
    async with httpx.AsyncClient(base_url=server) as client:
        await log_in(client, "hoa")
        cookies = [
            {"name": c.name, "value": c.value or "", "url": server} for c in client.cookies.jar
        ]
    await context.add_cookies(cookies)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(f"{server}{BASE}/qr")
    await page.emulate_media(media="print")
    cards = page.locator(".qr-card")
    assert await cards.count() == 5
    base = server  # no server.public_url: the address the manager's browser used
    for i, code in enumerate(("HT", "CT", "DD", "LD", "TP")):
        png = await cards.nth(i).screenshot()
        [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        assert found.text == f"{base}/guide/{OFFICE}/{code}"
    # On A4 (794 px wide at 96 dpi): two cards a row, three rows to a page.
    boxes = [await cards.nth(i).bounding_box() for i in range(3)]
    assert all(boxes)
    first, second, third = boxes
    assert first and second and third
    assert second["y"] == first["y"] and second["x"] > first["x"] + first["width"]
    assert third["x"] == first["x"] and 3 * third["y"] < 1123
    await page.screenshot(path=str(SHOTS / "manage-qr-a4.png"), full_page=True)
    await context.close()


async def test_qr_page_warns_while_its_codes_lead_to_loopback(manager: Session) -> None:
    # The server listens on 127.0.0.1 only and the manager opened it as such: no phone can
    # open these codes.
    local = await manager.get(f"{BASE}/qr")
    assert "điện thoại của công dân sẽ không mở được" in local.text
    assert "scripts/serve --lan" in local.text
    # Opened at the server's network address, the codes carry it, and no warning.
    lan = await manager.client.get(f"{BASE}/qr", headers={"host": "192.168.1.10:8000"})
    assert lan.status_code == 200
    assert f'href="http://192.168.1.10:8000/guide/{OFFICE}/HT"' in lan.text
    assert "scripts/serve --lan" not in lan.text
