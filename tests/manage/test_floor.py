"""The overview: the floor as the manager sees it, and messages to the boards."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from queue_server.errors import NotFound
from queue_server.services.clock import FixedClock
from queue_server.services.queue import QueueService
from queue_server.store import keys
from queue_server.store.messages import BoardMessages
from tests.support.console import OFFICE, Session

BASE = f"/manage/{OFFICE}"
API = f"/api/v1/offices/{OFFICE}"


def cell(html: str, field: str) -> str:
    row = re.search(rf'<tr data-field="{field}"[^>]*>(.*?)</tr>', html, re.S)
    assert row is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row[1])).strip()


async def test_floor_counts_waiting_open_counters_and_calls(
    manager: Session, http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    for field in ("HT", "HT", "HT", "CT"):
        res = await http.post(f"{API}/tickets", json={"field": field})
        assert res.status_code == 201, res.text
    assert (await http.post(f"{API}/counters/1/open", headers=staff)).status_code == 200
    assert (await http.post(f"{API}/counters/1/call-next", headers=staff)).status_code == 200
    await http.post(f"{API}/counters/2/open", headers=staff)
    # The last counter open for CT, with one waiting: paused as the clerk confirms.
    await http.post(f"{API}/counters/2/pause", json={"force": True}, headers=staff)

    part = (await manager.get(f"{BASE}/floor")).text
    # Counter 1 serves HT and called its first ticket: two wait; CT waits with no counter.
    assert cell(part, "HT").startswith("HT Hộ tịch 2 dưới 1 phút 1 1")
    assert cell(part, "CT").startswith("CT Chứng thực 1 dưới 1 phút 0 0")
    assert 'data-kpi="waiting">3<' in part and 'data-kpi="calls">1<' in part
    counter1 = re.search(r'<tr data-counter="1">(.*?)</tr>', part, re.S)
    assert counter1 and "Đang mở" in counter1[1] and "lan" in counter1[1] and "A001" in counter1[1]
    counter2 = re.search(r'<tr data-counter="2">(.*?)</tr>', part, re.S)
    assert counter2 and "Tạm dừng" in counter2[1]
    page = await manager.get(BASE)
    assert page.status_code == 200 and 'id="floor"' in page.text and "A001" in page.text


async def test_board_message_is_an_event_and_can_be_taken_down(manager: Session, r: Any) -> None:
    before = int(time.time() * 1000)
    res = await manager.post(
        f"{BASE}/message", {"text": "Hệ thống chứng thực tạm dừng đến 14:00", "minutes": "30"}
    )
    assert res.status_code == 303 and res.headers["location"] == f"{BASE}?saved=sent"
    ((_, entry),) = await r.xrevrange(keys.events(OFFICE), count=1)
    assert entry["type"] == "board.message"
    data = json.loads(entry["data"])
    assert data["text"] == "Hệ thống chứng thực tạm dừng đến 14:00" and data["by"] == "hoa"
    assert before + 30 * 60_000 <= data["until_ms"] <= int(time.time() * 1000) + 30 * 60_000
    page = await manager.get(BASE)
    assert "Màn hình đang hiển thị" in page.text

    count = await r.xlen(keys.events(OFFICE))
    res = await manager.post(f"{BASE}/message", {"text": "x", "minutes": "0"})
    assert res.status_code == 400 and "Phải từ 1 đến 720." in res.text
    assert await r.xlen(keys.events(OFFICE)) == count

    res = await manager.post(f"{BASE}/message", {"clear": "1", "text": "ignored"})
    assert res.status_code == 303
    ((_, entry),) = await r.xrevrange(keys.events(OFFICE), count=1)
    assert json.loads(entry["data"]) == {"text": "", "until_ms": 0, "by": "hoa"}
    assert "Màn hình đang hiển thị" not in (await manager.get(BASE)).text


async def snapshot(server: str) -> dict[str, Any]:
    """What a board (no token) gets on connect."""
    async with connect(server.replace("http://", "ws://") + f"/ws/offices/{OFFICE}") as ws:
        first: dict[str, Any] = json.loads(await ws.recv())
    assert first["type"] == "snapshot"
    return first


async def test_the_message_up_now_is_in_the_snapshot(
    manager: Session, server: str, http: httpx.AsyncClient, staff: dict[str, str], r: Any
) -> None:
    assert (await snapshot(server))["data"]["message"] is None
    res = await manager.post(f"{BASE}/message", {"text": "Nghỉ trưa", "minutes": "30"})
    assert res.status_code == 303
    ((event_id, entry),) = await r.xrevrange(keys.events(OFFICE), count=1)
    until = json.loads(entry["data"])["until_ms"]
    # Buried under later events, it is still what a connecting board gets (without `by`).
    for _ in range(3):
        assert (await http.post(f"{API}/tickets", json={"field": "HT"})).status_code == 201
    snap = await snapshot(server)
    assert snap["id"] != event_id
    assert snap["data"]["message"] == {"text": "Nghỉ trưa", "until_ms": until}
    rest = await http.get(f"{API}/queue", headers=staff)
    assert rest.json()["message"] == {"text": "Nghỉ trưa", "until_ms": until}
    # Past `until_ms` it is not shown any more, and Redis lets go of it a minute later.
    assert await BoardMessages(r).current(OFFICE, until) is None
    assert 30 * 60_000 < await r.pttl(keys.board_message(OFFICE)) <= 31 * 60_000

    await manager.post(f"{BASE}/message", {"clear": "1"})
    assert (await snapshot(server))["data"]["message"] is None
    assert not await r.exists(keys.board_message(OFFICE))


async def test_a_public_board_gets_the_live_message_without_who_sent_it(
    manager: Session, server: str
) -> None:
    async with connect(server.replace("http://", "ws://") + f"/ws/offices/{OFFICE}") as ws:
        assert json.loads(await ws.recv())["type"] == "snapshot"
        await manager.post(f"{BASE}/message", {"text": "Mất điện tầng 2", "minutes": "15"})
        event = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert event["type"] == "board.message"
    assert event["data"]["text"] == "Mất điện tầng 2" and "by" not in event["data"]


async def test_the_queue_service_puts_a_message_up_and_takes_it_down(
    service: QueueService, clock: FixedClock, r: Any
) -> None:
    """What the overview's form calls: the message with its end, the event, and the key."""
    assert await service.board_message(OFFICE) is None
    event_id = await service.post_board_message(OFFICE, "Nghỉ trưa", 30, "hoa")
    until = clock.now_ms() + 30 * 60_000
    ((last_id, entry),) = await r.xrevrange(keys.events(OFFICE), count=1)
    assert (last_id, entry["type"]) == (event_id, "board.message")
    assert json.loads(entry["data"]) == {"text": "Nghỉ trưa", "until_ms": until, "by": "hoa"}
    assert await service.board_message(OFFICE) == {"text": "Nghỉ trưa", "until_ms": until}
    clock.advance(30 * 60)
    assert await service.board_message(OFFICE) is None
    clock.advance(-60)
    await service.post_board_message(OFFICE, "", 0, "hoa")
    assert await service.board_message(OFFICE) is None
    assert not await r.exists(keys.board_message(OFFICE))
    with pytest.raises(NotFound):
        await service.post_board_message("nowhere", "Nghỉ trưa", 30, "hoa")
