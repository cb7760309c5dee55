"""Printers follow a manager's change without a restart: a network printer added gets a
driver, a changed one is driven at its new address with its new paper, a removed one is let
go; an agent's socket follows its printer the same way."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from queue_server.config import Config
from queue_server.services.auth import AuthService
from queue_server.services.offices import OfficeRegistry
from queue_server.services.printing import ServerDriver
from queue_server.store import keys
from queue_server.store.offices import OfficeSettings
from tests.printer.escpos_stream import Decoded, decode
from tests.printer.fakeprinter import FakePrinter
from tests.printing.conftest import (
    OFFICE,
    FixedPortServer,
    free_port,
    jobs_printed,
    until,
)

TICKETS = f"/api/v1/offices/{OFFICE}/tickets"
PRINTERS = f"/api/v1/offices/{OFFICE}/printers"


async def save_printers(r: Any, config: Config, *printers: dict[str, Any]) -> None:
    """What the console does with a change: edit a copy of the office's table and hand it
    to `OfficeRegistry.save_table` (validated, stored, announced on the office stream). Here
    from another registry, as another server process would."""
    registry = OfficeRegistry(config, OfficeSettings(r))
    await registry.load()
    office = registry.get(OFFICE)
    assert office is not None
    table = copy.deepcopy(dict(office.raw))
    table["printers"] = [p for p in table.get("printers", []) if p["name"] == "kiosk-1"]
    table["printers"] += list(printers)
    await registry.save_table(OFFICE, table, "hoa")


async def paper_of(client: httpx.AsyncClient, staff: dict[str, str], name: str) -> int | None:
    """The printer's paper as the server knows it now; None for no such printer."""
    res = await client.get(PRINTERS, headers=staff)
    assert res.status_code == 200, res.text
    return next((p["paper"] for p in res.json()["printers"] if p["name"] == name), None)


def paper_is(client: httpx.AsyncClient, staff: dict[str, str], name: str, paper: int) -> Any:
    async def check() -> bool:
        return await paper_of(client, staff, name) == paper

    return check


async def issue(client: httpx.AsyncClient, printer: str) -> str:
    """Issues a ticket printed on `printer`; returns its QR data (the ticket page)."""
    res = await client.post(TICKETS, json={"field": "HT", "printer": printer})
    assert res.status_code == 201, res.text
    # No server.public_url: the QR leads to the address the request came in on.
    return f"{str(client.base_url).rstrip('/')}/t/{res.json()['id']}"


@pytest.fixture
async def server(r: Any, config: Config) -> AsyncIterator[httpx.AsyncClient]:
    """The demo office as config.toml has it: only the agent printer kiosk-1."""
    running = FixedPortServer(config, free_port())
    running.start()
    try:
        async with httpx.AsyncClient(base_url=running.url, timeout=10) as client:
            yield client
    finally:
        running.stop()


async def test_network_printer_added_changed_and_removed_without_restart(
    server: httpx.AsyncClient, r: Any, config: Config, staff: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(ServerDriver, "lock_ttl_ms", 1000)
    first, second = FakePrinter(), FakePrinter()
    try:
        quay = {"name": "quay-1", "driver": "server", "url": first.url, "mode": "text"}
        await save_printers(r, config, quay)
        # The server learns of the change from the office's stream, a moment later.
        await until(paper_is(server, staff, "quay-1", 80), what="the new printer")
        ticket = await issue(server, "quay-1")
        await until(lambda: jobs_printed(first) == [ticket], what="the ticket on the new printer")

        await save_printers(r, config, {**quay, "url": second.url, "paper": 58})
        await until(paper_is(server, staff, "quay-1", 58), what="the change")
        ticket = await issue(server, "quay-1")
        await until(lambda: jobs_printed(second) == [ticket], what="the ticket at the new address")
        [job] = [c for c in second.connections if c]
        assert "-" * 32 in decode(job).lines and "-" * 48 not in decode(job).lines  # 58 mm
        assert len(jobs_printed(first)) == 1

        await save_printers(r, config)
        lock = keys.printer_lock(OFFICE, "quay-1")

        async def let_go() -> bool:
            return await paper_of(server, staff, "quay-1") is None and not await r.exists(lock)

        await until(let_go, what="the driver letting go")
        res = await server.post(TICKETS, json={"field": "HT", "printer": "quay-1"})
        assert res.status_code == 404
        # No driver comes back for it (a running one would take the lock within 0.34 s).
        for _ in range(12):
            assert not await r.exists(lock)
            await asyncio.sleep(0.1)
    finally:
        first.close()
        second.close()


async def agent_socket(server: httpx.AsyncClient, token: str, path: str) -> ClientConnection:
    url = str(server.base_url).replace("http://", "ws://") + path
    return await connect(url, additional_headers={"Authorization": f"Bearer {token}"})


async def print_one(ws: ClientConnection) -> Decoded:
    """Plays the agent for one job: begin, go, ack; returns what it would have printed."""
    job = json.loads(await ws.recv())
    assert job["type"] == "job"
    await ws.send(json.dumps({"type": "begin", "job": job["job"]}))
    assert json.loads(await ws.recv()) == {"type": "go", "job": job["job"]}
    await ws.send(json.dumps({"type": "ack", "job": job["job"]}))
    return decode(base64.b64decode(job["bytes"]))


async def test_agent_printer_added_changed_and_removed_without_restart(
    server: httpx.AsyncClient, r: Any, config: Config, auth: AuthService,
    staff: dict[str, str],
) -> None:  # fmt: skip
    # The path names no office: the socket takes it from the device's token.
    token = await auth.add_device("kiosk-2-agent", "printer", OFFICE)
    kiosk = {"name": "kiosk-2", "driver": "agent", "url": "usb://0416:5011", "paper": 80}
    await save_printers(r, config, kiosk)
    await until(paper_is(server, staff, "kiosk-2", 80), what="the new printer")
    ws = await agent_socket(server, token, "/ws/printers/kiosk-2")
    hello = json.loads(await ws.recv())
    assert hello == {"type": "hello", "office": OFFICE, "printer": "kiosk-2",
                     "url": "usb://0416:5011"}  # fmt: skip
    await issue(server, "kiosk-2")
    assert (await print_one(ws)).image().width == 576

    # New paper: the next job is rendered for it, on the same connection.
    await save_printers(r, config, {**kiosk, "paper": 58})
    await until(paper_is(server, staff, "kiosk-2", 58), what="the change")
    await issue(server, "kiosk-2")
    assert (await print_one(ws)).image().width == 384

    # A new address: the agent is asked to connect again, and hears it in the hello.
    await save_printers(r, config, {**kiosk, "paper": 58, "url": "usb://04b8:0202"})
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    ws = await agent_socket(server, token, "/ws/printers/kiosk-2")
    assert json.loads(await ws.recv())["url"] == "usb://04b8:0202"

    # Removed: the agent is refused, which stops it (printer.agent.FATAL_CLOSE).
    await save_printers(r, config)
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
    # Connecting again is refused with a reason the agent logs.
    ws = await agent_socket(server, token, "/ws/printers/kiosk-2")
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4404,
        "no printer 'kiosk-2' in this office; printers: kiosk-1",
    )
