"""Managers' changes to an office: validated, saved, picked up live, exported back."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import httpx
import pytest

from queue_server import config as config_mod
from queue_server.errors import BadRequest
from queue_server.services.offices import OfficeRegistry
from queue_server.store.offices import OfficeSettings
from tests.conftest import OFFICE


async def test_change_reaches_a_running_server_without_restart(
    r: Any, config: config_mod.Config, http: httpx.AsyncClient
) -> None:
    registry = OfficeRegistry(config, OfficeSettings(r))
    table = copy.deepcopy(dict(registry.get(OFFICE).raw))  # type: ignore[union-attr]
    table["fields"][0]["name_vi"] = "Hộ tịch – Khai sinh, kết hôn"
    await registry.save_table(OFFICE, table, by="quanly")
    for _ in range(50):
        office = (await http.get(f"/api/v1/offices/{OFFICE}")).json()
        if office["fields"][0]["name_vi"] == "Hộ tịch – Khai sinh, kết hôn":
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the running server did not pick up the change")
    # A server started later applies the saved change at start-up.
    later = OfficeRegistry(config, OfficeSettings(r))
    await later.load()
    assert later.get(OFFICE).fields[0].name_vi == "Hộ tịch – Khai sinh, kết hôn"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t["fields"][1].update(prefix="A"), "used twice"),
        (lambda t: t["counters"][0].update(fields=["XX"]), "unknown field"),
        (lambda t: t.update(slug="khac"), "slug"),
        (lambda t: t["fields"][0].pop("name_vi"), "is missing"),
    ],
)
async def test_invalid_change_is_refused_and_nothing_saved(
    r: Any, config: config_mod.Config, edit: Any, message: str
) -> None:
    registry = OfficeRegistry(config, OfficeSettings(r))
    before = registry.get(OFFICE)
    table = copy.deepcopy(dict(before.raw))  # type: ignore[union-attr]
    edit(table)
    with pytest.raises(BadRequest, match=message):
        await registry.save_table(OFFICE, table, by="quanly")
    assert registry.get(OFFICE) is before
    assert await r.get(f"sq:{{{OFFICE}}}:config") is None


async def test_export_round_trip(r: Any, config: config_mod.Config, tmp_path: Path) -> None:
    registry = OfficeRegistry(config, OfficeSettings(r))
    table = copy.deepcopy(dict(registry.get(OFFICE).raw))  # type: ignore[union-attr]
    table["counters"].append({"number": 6, "fields": ["CT", "HT"]})
    table["interleave"] = 3
    changed = await registry.save_table(OFFICE, table, by="quanly")
    exported = tmp_path / "exported.toml"
    exported.write_text(registry.export_toml(), "utf-8")
    again = config_mod.load(exported)
    assert again.office(OFFICE) == changed
    assert again.office(OFFICE).counter(6).fields == ("CT", "HT")  # type: ignore[union-attr]


async def test_a_registry_without_a_store_holds_the_file_and_saves_nothing(
    r: Any, config: config_mod.Config
) -> None:
    """What a service built without a registry gets: config.toml's offices, read-only."""
    registry = OfficeRegistry(config)
    table = dict(registry.get(OFFICE).raw)  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match="without a settings store"):
        await registry.save_table(OFFICE, table, by="quanly")
    assert await r.keys("*") == []
