"""The wait a citizen is told, over HTTP, after services that were not really services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from queue_server import config as config_mod
from queue_server.services.clock import FixedClock
from tests.conftest import OFFICE, start_server

API = f"/api/v1/offices/{OFFICE}"
# Wednesday 25/11/2026 09:00 in Hà Nội: a working morning.
WEDNESDAY = int(datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).timestamp())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(WEDNESDAY * 1000)


@pytest.fixture
async def office(
    r: Any, config: config_mod.Config, clock: FixedClock
) -> AsyncIterator[httpx.AsyncClient]:
    thread = start_server(config, clock)
    url = thread.start()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            yield http
    finally:
        thread.stop()


async def serve(
    http: httpx.AsyncClient, staff: dict[str, str], clock: FixedClock, s: float
) -> None:
    """Counter 1 calls the next Hộ tịch ticket and serves it for `s` seconds."""
    called = await http.post(f"{API}/counters/1/call-next", headers=staff)
    assert called.status_code == 200, called.text
    ticket = called.json()["id"]
    assert (await http.post(f"/api/v1/tickets/{ticket}/start", headers=staff)).status_code == 200
    clock.advance(s)
    assert (await http.post(f"/api/v1/tickets/{ticket}/finish", headers=staff)).status_code == 200


async def issue(http: httpx.AsyncClient) -> dict[str, Any]:
    res = await http.post(f"{API}/tickets", json={"field": "HT"})
    assert res.status_code == 201, res.text
    body: dict[str, Any] = res.json()
    return body


async def overview_wait(http: httpx.AsyncClient) -> int:
    fields = (await http.get(f"{API}/overview")).json()["fields"]
    wait: int = next(f for f in fields if f["code"] == "HT")["estimated_wait_s"]
    return wait


@pytest.mark.parametrize(
    ("service_s", "average_s"),
    [
        (2, 12 * 60),  # Start and Finish pressed together: HT's configured 12 minutes stand
        (10 * 60, 10 * 60),  # real services: their average
    ],
)
async def test_estimate_after_three_services(
    office: httpx.AsyncClient,
    staff: dict[str, str],
    clock: FixedClock,
    service_s: float,
    average_s: int,
) -> None:
    http = office
    assert (await http.post(f"{API}/counters/1/open", headers=staff)).status_code == 200
    for _ in range(3):
        await issue(http)
        await serve(http, staff, clock, service_s)
    for _ in range(4):
        await issue(http)
    # Four people waiting, one counter open: the next citizen is told four services.
    assert await overview_wait(http) == 4 * average_s
    fifth = await issue(http)
    assert fifth["position"] == 4 and fifth["estimated_wait_s"] == 4 * average_s
    status = (await http.get(f"/api/v1/tickets/{fifth['id']}")).json()
    assert status["estimated_wait_s"] == 4 * average_s
