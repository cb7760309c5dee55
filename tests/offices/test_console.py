"""The province admin's page /province/offices, through its forms as a browser posts them."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from queue_server.services.auth import AuthService
from tests.conftest import OFFICE, ROOT
from tests.support.console import PASSWORD, Session, log_in

PAGE = "/province/offices"


@pytest.fixture
async def province(served: str, auth: AuthService) -> AsyncIterator[Session]:
    await auth.add_user("tinh", "admin", PASSWORD)
    async with httpx.AsyncClient(base_url=served, timeout=10) as client:
        yield Session(client, await log_in(client, "tinh"))


def row(html: str, slug: str) -> str:
    found = re.search(rf'<tr data-office="{slug}" data-state="(\w+)">', html)
    assert found, f"no row for {slug}"
    return found[1]


async def test_only_an_admin_sees_the_page(served: str, auth: AuthService) -> None:
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    async with httpx.AsyncClient(base_url=served, timeout=10) as client:
        anonymous = await client.get(PAGE)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
        await log_in(client, "hoa")
        assert (await client.get(PAGE)).status_code == 403
        assert 'href="/province/offices"' not in (await client.get(f"/manage/{OFFICE}")).text


async def test_add_a_copy_rename_close_and_reopen(province: Session) -> None:
    console = await province.get(f"/manage/{OFFICE}")
    assert 'href="/province/offices"' in console.text  # the console's nav leads here
    page = await province.get(PAGE)
    assert page.status_code == 200 and row(page.text, OFFICE) == "active"
    copy = {"how": "copy", "copy_from": OFFICE, "name": "Phường Kim Mã"}
    bad = await province.post(f"{PAGE}/add", {**copy, "slug": "Kim Ma"})
    assert bad.status_code == 400 and 'data-error-for="slug"' in bad.text
    assert 'value="Phường Kim Mã"' in bad.text  # what was typed stays
    done = await province.post(f"{PAGE}/add", {**copy, "slug": "phuong-kim-ma"})
    assert done.status_code == 303 and done.headers["location"] == f"{PAGE}?notice=added"
    page = await province.get(done.headers["location"])
    assert row(page.text, "phuong-kim-ma") == "active" and 'role="status"' in page.text
    assert (await province.get("/kiosk/phuong-kim-ma")).status_code == 200
    taken = await province.post(f"{PAGE}/add", {**copy, "slug": "phuong-kim-ma"})
    assert taken.status_code == 409 and 'data-error-for="slug"' in taken.text

    new_name = {"name": "UBND phường Kim Mã", "address": "Số 2 Kim Mã"}
    renamed = await province.post(f"{PAGE}/phuong-kim-ma/rename", new_name)
    assert renamed.status_code == 303
    assert "UBND phường Kim Mã" in (await province.get("/kiosk/phuong-kim-ma")).text
    empty = await province.post(f"{PAGE}/phuong-kim-ma/rename", {"name": " "})
    assert empty.status_code == 400 and 'data-error-for="name_phuong-kim-ma"' in empty.text

    assert (await province.post(f"{PAGE}/phuong-kim-ma/close")).status_code == 303
    page = await province.get(PAGE)
    assert row(page.text, "phuong-kim-ma") == "closed"
    assert (await province.get("/kiosk/phuong-kim-ma")).status_code == 410
    assert (await province.get("/manage/phuong-kim-ma/reports")).status_code == 200
    again = await province.post(f"{PAGE}/phuong-kim-ma/close")
    assert again.status_code == 409 and 'role="alert"' in again.text
    assert (await province.post(f"{PAGE}/phuong-kim-ma/reopen")).status_code == 303
    assert (await province.get("/kiosk/phuong-kim-ma")).status_code == 200
    forged = await province.client.post(f"{PAGE}/phuong-kim-ma/close", data={"csrf": "x"})
    assert forged.status_code == 403


async def test_an_uploaded_table_is_checked_and_added(province: Session) -> None:
    data: dict[str, Any] = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    toml_text = (ROOT / "config.toml").read_text("utf-8").replace("number = 1\n", "number = 0\n", 1)
    bad = await province.post(
        f"{PAGE}/add?lang=en", {"how": "file", "slug": "xa-dong-anh"},
        files={"file": ("xa.toml", toml_text.encode(), "application/toml")},
    )  # fmt: skip
    assert bad.status_code == 400 and 'data-error-for="file"' in bad.text
    assert "office.counters[0].number" in bad.text
    assert row((await province.get(PAGE)).text, OFFICE) == "active"
    assert "xa-dong-anh" not in (await province.get(PAGE)).text
    good = json.dumps(data["offices"][0], default=str).encode()
    done = await province.post(
        f"{PAGE}/add", {"how": "file", "slug": "xa-dong-anh", "name": "Xã Đông Anh"},
        files={"file": ("xa.json", good, "application/json")},
    )  # fmt: skip
    assert done.status_code == 303, done.text
    page = await province.get(PAGE)
    assert row(page.text, "xa-dong-anh") == "active" and "Xã Đông Anh" in page.text
