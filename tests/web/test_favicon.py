"""The icon every browser asks for on every page (it answered 404 in the access log)."""

from __future__ import annotations

import io
import re

import httpx
from PIL import Image

from tests.conftest import OFFICE


async def test_favicon_ico_is_an_image(http: httpx.AsyncClient) -> None:
    res = await http.get("/favicon.ico")
    assert res.status_code == 200
    assert res.headers["content-type"] == "image/x-icon"
    assert "max-age" in res.headers["cache-control"]
    icon = Image.open(io.BytesIO(res.content))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]


async def test_pages_link_the_icons(http: httpx.AsyncClient) -> None:
    for path in (f"/kiosk/{OFFICE}", f"/board/{OFFICE}", f"/guide/{OFFICE}", "/login"):
        page = (await http.get(path)).text
        links = re.findall(r'<link rel="icon" href="([^"]+)"', page)
        assert links == ["/static/favicon.svg", "/favicon.ico"], path
        for link in links:
            res = await http.get(link)
            assert res.status_code == 200 and res.headers["content-type"].startswith("image/")
