"""`/ws/province` over a real WebSocket: admins only, every row first, then a fresh row of
an office as its events arrive, a burst of events coalesced into few rows."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.province.conftest import OFFICE_A, OFFICE_B
from tests.province.test_api import issue


def ws_url(base: str, token: str | None) -> str:
    return base.replace("http://", "ws://") + "/ws/province" + (f"?token={token}" if token else "")


async def recv(ws: ClientConnection) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if msg["type"] != "ping":
            return msg


def token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def test_admins_only(server: str, staff: dict[str, str]) -> None:
    for who, code in ((None, 4401), (token(staff), 4403)):
        async with connect(ws_url(server, who)) as ws:
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except ConnectionClosed as exc:
                assert exc.rcvd is not None and exc.rcvd.code == code
            else:
                raise AssertionError("the socket should have been closed")


async def test_rows_follow_events_coalesced(
    server: str, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    async with connect(ws_url(server, token(admin))) as ws:
        snap = await recv(ws)
        assert snap["type"] == "snapshot"
        assert sorted(m["row"]["office"] for m in snap["rows"]) == [OFFICE_A, OFFICE_B]
        assert all(m["html"].startswith("<tr data-office=") for m in snap["rows"])
        await issue(http, f"/api/v1/offices/{OFFICE_B}", "HT")
        row = await recv(ws)
        assert row["type"] == "office" and row["row"]["office"] == OFFICE_B
        assert row["row"]["waiting"] == 1 and ">1</td>" in row["html"]
        # Five tickets at once in A: one or two rows, the last with all five.
        await asyncio.gather(*(issue(http, f"/api/v1/offices/{OFFICE_A}", "CT") for _ in range(5)))
        rows = [await recv(ws)]
        while rows[-1]["row"]["waiting"] < 5:
            rows.append(await recv(ws))
        assert {r["row"]["office"] for r in rows} == {OFFICE_A}
        assert len(rows) <= 2
