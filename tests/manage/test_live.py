"""A manager's change is live: a connected board hears it, another server process serves
it, and the exported TOML starts a server with the same offices."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from queue_server import config as config_mod
from queue_server.services.auth import AuthService
from queue_server.services.offices import OfficeRegistry
from queue_server.store.offices import OfficeSettings
from tests.conftest import ROOT, start_server
from tests.support.console import OFFICE, PASSWORD, Session, log_in

BASE = f"/manage/{OFFICE}"
RENAME = {
    "prefix": "A", "name_vi": "Hộ tịch – Khai sinh, khai tử", "name_en": "Civil status",
    "first_number": "1", "last_number": "999", "service_minutes": "10",
    "target_wait_minutes": "15",
}  # fmt: skip


async def test_field_rename_reaches_a_board_and_another_process(
    manager: Session, server: str, config: config_mod.Config
) -> None:
    other = start_server(config)  # a second server process on the same Redis
    other_url = other.start()
    try:
        ws_url = other_url.replace("http://", "ws://") + f"/ws/offices/{OFFICE}"
        async with connect(ws_url) as board:
            first = json.loads(await board.recv())
            assert first["type"] == "snapshot"
            res = await manager.post(f"{BASE}/fields/HT/save", RENAME)
            assert res.status_code == 303

            async def next_config_event() -> dict[str, Any]:
                while True:
                    msg: dict[str, Any] = json.loads(await board.recv())
                    if msg["type"] == "office.config_changed":
                        return msg

            msg = await asyncio.wait_for(next_config_event(), 5)
            # A public board is not told which manager made the change.
            assert "by" not in msg["data"]
        # The board reloads the office on that event; the other process has it already.
        async with httpx.AsyncClient(base_url=other_url) as client:
            office = (await client.get(f"/api/v1/offices/{OFFICE}")).json()
            kiosk = await client.get(f"/kiosk/{OFFICE}")
        assert office["fields"][0]["name_vi"] == "Hộ tịch – Khai sinh, khai tử"
        assert "Hộ tịch – Khai sinh, khai tử" in kiosk.text
    finally:
        other.stop()


async def test_export_starts_a_server_with_the_same_office(
    manager: Session, tmp_path: Path, config: config_mod.Config, r: Any
) -> None:
    assert (await manager.post(f"{BASE}/fields/HT/save", RENAME)).status_code == 303
    await manager.post(f"{BASE}/counters/2/save", {"order_CT": "1", "order_HT": "2"})
    res = await manager.get(f"{BASE}/config.toml")
    assert res.status_code == 200
    assert res.headers["content-disposition"] == 'attachment; filename="config.toml"'
    path = tmp_path / "config.toml"
    path.write_bytes(res.content)
    loaded = config_mod.load(path)
    office = loaded.office(OFFICE)
    assert office is not None
    assert office.field("HT").name_vi == "Hộ tịch – Khai sinh, khai tử"  # type: ignore[union-attr]
    assert office.counter(2).fields == ("CT", "HT")  # type: ignore[union-attr]
    # A process starting from config.toml plus the saved change has the same office.
    registry = OfficeRegistry(config, OfficeSettings(r))
    await registry.load()
    assert registry.get(OFFICE) == office
    assert config.office(OFFICE) != office


async def test_counter_office_list_shows_a_renamed_office(
    r: Any, config: config_mod.Config, auth: AuthService
) -> None:
    data = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    second = {**copy.deepcopy(data["offices"][0]), "slug": "phuong-kim-ma"}
    data["offices"].append({**second, "name": "Trung tâm Phục vụ hành chính công phường Kim Mã"})
    two = config_mod.parse(data, config.path)
    two = dataclasses.replace(two, redis=config.redis, server=config.server)
    # Of both offices: a user of one goes straight to its counters.
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE, "phuong-kim-ma"])
    thread = start_server(two)
    url = thread.start()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            manager = Session(client, await log_in(client, "hoa"))
            res = await manager.post(f"{BASE}/general", {
                "name": "Trung tâm Hành chính công phường Ba Đình", "open_kiosk": "1",
                "address": "Số 1 Phan Đình Phùng", "ticket_footer": "",
            })  # fmt: skip
            assert res.status_code == 303, res.text
            page = (await manager.get("/counter")).text
    finally:
        thread.stop()
    assert "Trung tâm Hành chính công phường Ba Đình</a>" in page
    assert "Trung tâm Phục vụ hành chính công phường Ba Đình" not in page
    assert "phường Kim Mã</a>" in page


async def test_a_change_of_the_fields_an_open_counter_serves_moves_the_kiosk_availability(
    manager: Session, server: str, staff: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=server) as client:
        opened = await client.post(f"/api/v1/offices/{OFFICE}/counters/1/open", headers=staff)
        assert opened.status_code == 200

        async def available() -> dict[str, bool]:
            res = await client.get(f"/api/v1/offices/{OFFICE}/overview")
            return {f["code"]: f["available"] for f in res.json()["fields"]}

        assert await available() == {"HT": True, "CT": False, "DD": False, "LD": False,
                                     "TP": True}  # fmt: skip
        # Counter 1, open, now serves Chứng thực only: its old fields have no open counter
        # (no ticket issued there would be called), the new one has.
        res = await manager.post(f"{BASE}/counters/1/save", {"order_CT": "1"})
        assert res.status_code == 303
        assert await available() == {"HT": False, "CT": True, "DD": False, "LD": False,
                                     "TP": False}  # fmt: skip
