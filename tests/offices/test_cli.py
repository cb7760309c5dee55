"""`python -m queue_server office ...` against the Redis of a running server, which serves
what the command changes without a restart."""

from __future__ import annotations

import asyncio
import json
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest

from queue_server.__main__ import main
from queue_server.store.connection import EmbeddedRedis
from tests.conftest import OFFICE, ROOT

NEW = "phuong-kim-ma"


async def office(*args: str) -> int:
    return await asyncio.to_thread(main, ["--config", str(ROOT / "config.toml"), "office", *args])


async def test_the_command_line_adds_renames_and_closes_offices_of_a_running_server(
    client: httpx.AsyncClient,
    redis_server: EmbeddedRedis,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url())
    assert await office("add", NEW, "--name", "Phường Kim Mã", "--copy-from", OFFICE) == 0
    assert "office phuong-kim-ma (Phường Kim Mã) added" in capsys.readouterr().out
    for _ in range(250):
        if (await client.get(f"/kiosk/{NEW}")).status_code == 200:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the running server does not serve the office added")

    table: dict[str, Any] = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    table["offices"][0]["fields"][0]["prefix"] = "a1"
    bad = tmp_path / "xa.json"
    bad.write_text(json.dumps(table, default=str), "utf-8")
    assert await office("add", "xa-dong-anh", "--from-file", str(bad)) == 2
    assert "office.fields[0].prefix" in capsys.readouterr().err
    table["offices"][0]["fields"][0]["prefix"] = "A"
    good = tmp_path / "xa.json"
    good.write_text(json.dumps(table, default=str), "utf-8")
    assert (
        await office("add", "xa-dong-anh", "--name", "Xã Đông Anh", "--from-file", str(good)) == 0
    )
    capsys.readouterr()

    assert await office("rename", NEW, "--name", "UBND phường Kim Mã") == 0
    assert await office("close", "xa-dong-anh") == 0
    assert await office("close", "xa-dong-anh") == 2
    capsys.readouterr()
    assert await office("list") == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{OFFICE}\tactive\tTrung tâm Phục vụ hành chính công phường Ba Đình",
        f"{NEW}\tactive\tUBND phường Kim Mã",
        "xa-dong-anh\tclosed\tXã Đông Anh",
    ]
    for _ in range(250):
        if (await client.get("/kiosk/xa-dong-anh")).status_code == 410:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the running server still serves the office closed")
    assert "UBND phường Kim Mã" in (await client.get(f"/kiosk/{NEW}")).text
    # A device of an office the command line added (not in config.toml).
    device = ["--config", str(ROOT / "config.toml"), "device", "add", "kiosk-kim-ma"]
    assert await asyncio.to_thread(main, [*device, "--kind", "kiosk", "--office", NEW]) == 0
    assert (
        await asyncio.to_thread(main, [*device, "--kind", "kiosk", "--office", "xa-dong-anh"]) == 2
    )
