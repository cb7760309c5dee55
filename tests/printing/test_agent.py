"""The print agent as its own process, against the real server, with a (fake) network
printer behind it: it prints, acknowledges, reconnects after a server restart and never
prints a job twice."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from queue_server.services.auth import AuthService
from queue_server.store import keys
from queue_server.store.printjobs import PrintJobs
from tests.printer.fakeprinter import FakePrinter
from tests.printing.conftest import OFFICE, FixedPortServer, jobs_printed, until

ROOT = Path(__file__).resolve().parents[2]
TICKETS = f"/api/v1/offices/{OFFICE}/tickets"


class AgentProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def stop(self) -> str:
        if self.proc.returncode is None:
            self.proc.terminate()
        out, _ = await self.proc.communicate()
        return out.decode()


@pytest.fixture
async def start_agent(tmp_path: Path, fake_printer: FakePrinter) -> AsyncIterator[Any]:
    started: list[AgentProcess] = []

    async def start(server: str, token: str, *extra: str) -> AgentProcess:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "printer.agent", "--server", server, "--token", token,
            "--printer", "kiosk-1", "--device", fake_printer.url,
            "--journal", str(tmp_path / "journal.json"), *extra,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        started.append(AgentProcess(proc))
        return started[-1]

    yield start
    for agent in started:
        await agent.stop()


@pytest.fixture
async def device_token(auth: AuthService) -> str:
    return await auth.add_device("kiosk-1-agent", "printer", OFFICE)


async def kiosk_view(client: httpx.AsyncClient, staff: dict[str, str]) -> dict[str, Any]:
    res = await client.get(f"/api/v1/offices/{OFFICE}/printers", headers=staff)
    view: dict[str, Any] = next(p for p in res.json()["printers"] if p["name"] == "kiosk-1")
    return view


async def issue(client: httpx.AsyncClient) -> dict[str, Any]:
    res = await client.post(TICKETS, json={"field": "HT", "printer": "kiosk-1"})
    assert res.status_code == 201, res.text
    ticket: dict[str, Any] = res.json()
    return ticket


async def test_agent_prints_acks_and_survives_a_server_restart(
    print_server: FixedPortServer,
    fake_printer: FakePrinter,
    device_token: str,
    staff: dict[str, str],
    start_agent: Any,
) -> None:
    agent = await start_agent(print_server.url, device_token)
    async with httpx.AsyncClient(base_url=print_server.url) as client:
        await until(lambda: _driven(client, staff), what="the agent to connect")
        tickets = [await issue(client) for _ in range(3)]
        await until(lambda: len(jobs_printed(fake_printer)) == 3, what="three tickets")
        await until(lambda: _no_pending(client, staff), what="the acks")
        view = await kiosk_view(client, staff)
        assert view["state"] == "ok" and view["last_ok"]

    print_server.stop()
    print_server.start()
    async with httpx.AsyncClient(base_url=print_server.url) as client:
        tickets += [await issue(client) for _ in range(2)]
        await until(lambda: len(jobs_printed(fake_printer)) >= 5, what="after the restart")
        await until(lambda: _no_pending(client, staff), what="the acks after the restart")
    public = print_server.url  # no server.public_url: the address the kiosk used
    assert jobs_printed(fake_printer) == [f"{public}/t/{t['id']}" for t in tickets]
    log = await agent.stop()
    assert "connection lost" in log or "cannot reach" in log


async def _driven(client: httpx.AsyncClient, staff: dict[str, str]) -> bool:
    view = await kiosk_view(client, staff)
    return bool(view["driven"] and view["state"] == "ok")


async def _no_pending(client: httpx.AsyncClient, staff: dict[str, str]) -> bool:
    view = await kiosk_view(client, staff)
    return view["pending"] == [] and view["sending"] is None


async def test_agent_waits_for_an_offline_printer_and_reports_it(
    client: httpx.AsyncClient,
    print_server: FixedPortServer,
    fake_printer: FakePrinter,
    device_token: str,
    staff: dict[str, str],
    start_agent: Any,
) -> None:
    fake_printer.state = "offline"
    await start_agent(print_server.url, device_token)
    ticket = await issue(client)
    view = await until(lambda: _in_state(client, staff, "offline"), what="offline")
    assert [j["ticket"] for j in view["pending"]] == [ticket["id"]]
    assert jobs_printed(fake_printer) == []
    fake_printer.state = "online"
    await until(lambda: jobs_printed(fake_printer), what="the ticket")
    await until(lambda: _no_pending(client, staff), what="the ack")
    assert len(jobs_printed(fake_printer)) == 1


async def _in_state(
    client: httpx.AsyncClient, staff: dict[str, str], state: str
) -> dict[str, Any] | None:
    view = await kiosk_view(client, staff)
    return view if view["state"] == state else None


async def test_the_journal_stops_a_second_print_after_a_lost_ack_or_an_agent_crash(
    r: Any,
    client: httpx.AsyncClient,
    print_server: FixedPortServer,
    fake_printer: FakePrinter,
    device_token: str,
    staff: dict[str, str],
    start_agent: Any,
    tmp_path: Path,
) -> None:
    jobs = PrintJobs(r)
    base = {"office": "UBND", "number": "A001", "field": "Hộ tịch", "people_ahead": 0,
            "issued_at": "2026-11-24T09:00:00+07:00"}  # fmt: skip
    ids = [
        await jobs.enqueue(
            OFFICE,
            "kiosk-1",
            "ticket",
            {**base, "url": f"http://x/t/{n}"},
            ticket=None,
            requested_by="kiosk",
            now_ms=1,
        )
        for n in (1, 2, 3)
    ]
    uids = {i: f["uid"] for i, f in await r.xrange(keys.print_jobs(OFFICE, "kiosk-1"))}
    # Job 1 printed but its ack was lost; the agent died while printing job 2.
    journal = {"done": [uids[ids[0]]], "begun": uids[ids[1]]}
    (tmp_path / "journal.json").write_text(json.dumps(journal))

    await start_agent(print_server.url, device_token)
    await until(lambda: jobs_printed(fake_printer), what="job 3")
    await until(lambda: _no_pending(client, staff), what="jobs 1 and 2 resolved")
    assert jobs_printed(fake_printer) == ["http://x/t/3"]
    view = await kiosk_view(client, staff)
    assert [(j["id"], j["reason"]) for j in view["held"]] == [(ids[1], "uncertain")]
    saved = json.loads((tmp_path / "journal.json").read_text())
    assert saved["begun"] is None and uids[ids[2]] in saved["done"]


async def test_agent_with_a_wrong_token_or_device_kind_gives_up(
    print_server: FixedPortServer, auth: AuthService, start_agent: Any, fake_printer: FakePrinter
) -> None:
    wrong = await start_agent(print_server.url, "not-a-token")
    assert await asyncio.wait_for(wrong.proc.wait(), 20) == 2
    assert "the token was refused" in await wrong.stop()
    kiosk = await auth.add_device("kiosk-screen", "kiosk", OFFICE)
    other = await start_agent(print_server.url, kiosk)
    assert await asyncio.wait_for(other.proc.wait(), 20) == 2
    assert jobs_printed(fake_printer) == []
