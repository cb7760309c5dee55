"""Realtime events over real WebSockets: snapshot, live events, replay, heartbeat."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import OFFICE, start_server

API = f"/api/v1/offices/{OFFICE}"


def ws_url(base: str, query: str = "") -> str:
    return base.replace("http://", "ws://") + f"/ws/offices/{OFFICE}" + query


async def recv(ws: ClientConnection, skip_ping: bool = True) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if not (skip_ping and msg["type"] == "ping"):
            return msg


async def test_snapshot_then_live_events(
    server: str, http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    await http.post(f"{API}/tickets", json={"field": "HT"})
    async with connect(ws_url(server)) as ws:
        snap = await recv(ws)
        assert snap["type"] == "snapshot" and snap["office"] == OFFICE
        assert [t["number"] for t in snap["data"]["lanes"]["HT"]] == ["A001"]
        assert "id" not in snap["data"]["lanes"]["HT"][0]  # public: no ticket ids
        await http.post(f"{API}/counters/3/open", headers=staff)
        await http.post(f"{API}/counters/3/call-next", headers=staff)
        opened, called = await recv(ws), await recv(ws)
        assert opened["type"] == "counter.opened" and opened["data"]["number"] == 3
        assert called["type"] == "ticket.called"
        assert called["data"]["number"] == "A001" and called["data"]["counter"] == 3
        assert called["id"] > snap["id"] and set(called) == {"id", "type", "office", "data"}


async def test_staff_gets_ticket_ids(
    server: str, http: httpx.AsyncClient, staff_token: str
) -> None:
    t = (await http.post(f"{API}/tickets", json={"field": "HT"})).json()
    async with connect(ws_url(server, f"?token={staff_token}")) as ws:
        snap = await recv(ws)
        assert snap["data"]["lanes"]["HT"][0]["id"] == t["id"]


async def test_reconnect_with_since_gets_exactly_what_was_missed(
    server: str, http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    await http.post(f"{API}/counters/1/open", headers=staff)
    async with connect(ws_url(server)) as ws:
        snap = await recv(ws)
        await http.post(f"{API}/tickets", json={"field": "HT"})
        seen = await recv(ws)
        assert seen["type"] == "ticket.issued"
    # Offline: four things happen.
    for _ in range(3):
        await http.post(f"{API}/tickets", json={"field": "TP"})
    await http.post(f"{API}/counters/1/call-next", headers=staff)
    async with connect(ws_url(server, f"?since={seen['id']}")) as ws:
        missed = [await recv(ws) for _ in range(4)]
        assert [m["type"] for m in missed] == ["ticket.issued"] * 3 + ["ticket.called"]
        assert [m["data"]["number"] for m in missed] == ["E001", "E002", "E003", "A001"]
        ids = [m["id"] for m in missed]
        assert ids == sorted(ids) and ids[0] > seen["id"] > snap["id"]
        # ...and then live events, with nothing repeated.
        await http.post(f"{API}/tickets", json={"field": "CT"})
        live = await recv(ws)
        assert live["type"] == "ticket.issued" and live["data"]["number"] == "B001"


async def test_too_old_or_unknown_since_gets_a_snapshot(
    r: Any, server: str, http: httpx.AsyncClient
) -> None:
    await http.post(f"{API}/tickets", json={"field": "HT"})
    await http.post(f"{API}/tickets", json={"field": "HT"})
    # Trim the stream as MAXLEN would after a long time: the first event is gone.
    key = f"sq:{{{OFFICE}}}:events"
    first = (await r.xrange(key, count=1))[0][0]
    await r.xtrim(key, maxlen=1, approximate=False)
    for since in (first, "1-0", "garbage", "99999999999999-0"):
        async with connect(ws_url(server, f"?since={since}")) as ws:
            msg = await recv(ws)
            assert msg["type"] == "snapshot", since
            assert len(msg["data"]["lanes"]["HT"]) == 2


async def test_heartbeat_both_ways(server: str) -> None:
    async with connect(ws_url(server)) as ws:
        await recv(ws)
        await ws.send(json.dumps({"type": "ping"}))
        assert (await recv(ws))["type"] == "pong"
        # The test config sends a server ping every second when nothing happens.
        assert json.loads(await asyncio.wait_for(ws.recv(), 3))["type"] == "ping"


async def test_unknown_office_is_refused(server: str) -> None:
    async with connect(server.replace("http://", "ws://") + "/ws/offices/nowhere") as ws:
        await ws.wait_closed()
        assert ws.close_code == 4404


async def test_two_server_processes_on_one_redis(
    config: Any, server: str, http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    """A board on one process sees a call made through another."""
    other = start_server(config)
    other_url = other.start()
    try:
        async with connect(ws_url(other_url)) as board:
            await recv(board)
            await http.post(f"{API}/tickets", json={"field": "DD"})
            await http.post(f"{API}/counters/4/open", headers=staff)
            await http.post(f"{API}/counters/4/call-next", headers=staff)
            types = [(await recv(board))["type"] for _ in range(3)]
            assert types == ["ticket.issued", "counter.opened", "ticket.called"]
    finally:
        other.stop()
