"""The issue's "done when": an office added through one server process is served by another
one on the same Redis without a restart (kiosk, ticket, counter, board socket); closed, it
leaves both, and its reports stay. The other server is `python -m queue_server serve`, a
process of its own, as behind a province's load balancer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from queue_server import config as config_mod
from queue_server.services.auth import AuthService
from queue_server.store import keys
from queue_server.store.connection import EmbeddedRedis
from tests.conftest import OFFICE, start_server
from tests.offices.conftest import bearer
from tests.support.console import log_in
from tests.support.server import ServeProcess

NEW = "phuong-kim-ma"
API = "/api/v1/offices"


@pytest.fixture
def two(
    r: Any, config: config_mod.Config, redis_server: EmbeddedRedis, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """A server in this process, and `python -m queue_server serve` as a process of its own,
    on the same Redis."""
    thread = start_server(config)
    (tmp_path / "other").mkdir()
    other = ServeProcess(tmp_path / "other", redis_server.url())
    try:
        first = thread.start()
        other.start("--no-access-log")
        yield first, other.url
    finally:
        other.stop()
        thread.stop()


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Waits for `check` (what another process does), up to 5 s."""
    for _ in range(250):
        if await check():
            return
        await asyncio.sleep(0.02)
    pytest.fail("condition not met in time")


async def event(ws: ClientConnection, etype: str) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if msg["type"] == etype:
            return msg


async def test_an_office_added_on_one_server_is_served_by_the_other(
    two: tuple[str, str], auth: AuthService, r: Any
) -> None:
    admin = await bearer(auth, "tinh", "admin")
    a = httpx.AsyncClient(base_url=two[0], timeout=10)
    b = httpx.AsyncClient(base_url=two[1], timeout=10)
    async with a, b:
        assert (await b.get(f"/kiosk/{NEW}")).status_code == 404
        copy = {"copy_from": OFFICE, "slug": NEW, "name": "Phường Kim Mã"}
        assert (await a.post(API, json=copy, headers=admin)).status_code == 201

        async def b_serves() -> bool:
            return (await b.get(f"{API}/{NEW}")).status_code == 200

        await until(b_serves)
        # Each server readied the office before serving it, its walk-in gate set from the
        # calendar at the real time; as for the demo office (ServerThread), it is opened
        # whatever the hour the suite runs at.
        await r.delete(keys.walk_in_gate(NEW))
        kiosk = await b.get(f"/kiosk/{NEW}")
        assert kiosk.status_code == 200 and "Phường Kim Mã" in kiosk.text
        board = two[1].replace("http://", "ws://") + f"/ws/offices/{NEW}"
        async with connect(board) as ws:
            assert (await event(ws, "snapshot"))["office"] == NEW
            issued = await b.post(f"{API}/{NEW}/tickets", json={"field": "HT"})
            assert issued.status_code == 201, issued.text
            number = issued.json()["number"]
            assert (await event(ws, "ticket.issued"))["data"]["number"] == number
            # A clerk given the new office opens a counter of it on the first server, and
            # calls.
            await auth.add_user("lan", "staff", "mat-khau-123", offices=[NEW])
            token, _ = await auth.login("lan", "mat-khau-123")
            staff = {"Authorization": f"Bearer {token}"}
            assert (await a.post(f"{API}/{NEW}/counters/1/open", headers=staff)).is_success
            called = await a.post(f"{API}/{NEW}/counters/1/call-next", headers=staff)
            assert called.status_code == 200 and called.json()["number"] == number
            call = await event(ws, "ticket.called")
            assert call["data"]["number"] == number and call["data"]["counter"] == 1
        await log_in(a, "lan")
        page = await a.get(f"/counter/{NEW}/1")
        assert page.status_code == 200 and "Phường Kim Mã" in page.text

        # Closed through the second server: both stop serving it; the reports stay. A board
        # on the first is let go, and told why when it comes back.
        board_a = two[0].replace("http://", "ws://") + f"/ws/offices/{NEW}"
        async with connect(board_a) as ws:
            assert (await event(ws, "snapshot"))["office"] == NEW
            assert (await b.post(f"{API}/{NEW}/close", headers=admin)).status_code == 200
            with pytest.raises(ConnectionClosed) as let_go:
                await event(ws, "never")
            assert let_go.value.rcvd is not None and let_go.value.rcvd.code == 1001
        async with connect(board_a) as ws:
            with pytest.raises(ConnectionClosed) as told:
                await ws.recv()
            assert told.value.rcvd is not None and told.value.rcvd.code == 4410
        assert (await a.get(f"/kiosk/{NEW}")).status_code == 410
        refused = await a.post(f"{API}/{NEW}/tickets", json={"field": "HT"})
        assert refused.status_code == 410
        # The closed office's manager still reads its reports.
        await auth.add_user("hoa", "manager", "mat-khau-123", offices=[NEW])
        token, _ = await auth.login("hoa", "mat-khau-123")
        manager = {"Authorization": f"Bearer {token}"}
        report = await a.get(f"{API}/{NEW}/reports", headers=manager)
        assert report.status_code == 200, report.text
        assert report.json()["total"]["issued"] == 1
