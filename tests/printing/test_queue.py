"""The print queue against a real (fake) network printer: offline, paper out, cleared jobs,
reprints, a server that died mid-job, and two server processes sharing one printer."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import zxingcpp
from websockets.asyncio.client import connect

from printer.render import PrintOptions
from queue_server.config import Config
from queue_server.errors import Conflict, Forbidden
from queue_server.office import Printer
from queue_server.services.printing import ServerDriver
from queue_server.store import keys
from queue_server.store.printjobs import PrintJobs
from tests.printer.escpos_stream import decode
from tests.printer.fakeprinter import FakePrinter
from tests.printing.conftest import (
    OFFICE,
    FixedPortServer,
    free_port,
    jobs_printed,
    until,
    with_printers,
)

TICKETS = f"/api/v1/offices/{OFFICE}/tickets"
PRINTERS = f"/api/v1/offices/{OFFICE}/printers"


async def issue(client: httpx.AsyncClient, field: str = "HT", printer: str = "quay-1") -> Any:
    res = await client.post(TICKETS, json={"field": field, "printer": printer})
    assert res.status_code == 201, res.text
    return res.json()


async def printer_view(client: httpx.AsyncClient, auth: dict[str, str], name: str) -> Any:
    res = await client.get(PRINTERS, headers=auth)
    assert res.status_code == 200, res.text
    return next(p for p in res.json()["printers"] if p["name"] == name)


def url_of(ticket: dict[str, Any], server: FixedPortServer) -> str:
    return f"{server.url}/t/{ticket['id']}"


async def test_jobs_issued_while_offline_print_once_in_order_when_it_is_back(
    client: httpx.AsyncClient,
    print_server: FixedPortServer,
    fake_printer: FakePrinter,
    staff: dict[str, str],
) -> None:
    fake_printer.state = "offline"
    tickets = [await issue(client, field) for field in ("HT", "CT", "HT", "DD")]
    view = await until(
        lambda: _state_is(client, staff, "quay-1", "offline"), what="the offline state"
    )
    assert [j["ticket"] for j in view["pending"]] == [t["id"] for t in tickets]
    assert view["last_error"] and "offline" in view["last_error"]
    assert jobs_printed(fake_printer) == []

    fake_printer.state = "online"
    want = [url_of(t, print_server) for t in tickets]
    await until(lambda: len(jobs_printed(fake_printer)) >= len(want), what="all four tickets")
    view = await until(lambda: _state_is(client, staff, "quay-1", "ok"), what="state ok")
    assert view["pending"] == [] and view["held"] == [] and view["last_ok"]
    # Once more through the queue: nothing left to print twice.
    await issue(client, "LD")
    await until(lambda: len(jobs_printed(fake_printer)) == 5, what="the fifth ticket")
    assert jobs_printed(fake_printer)[:4] == want


async def _state_is(
    client: httpx.AsyncClient, auth: dict[str, str], name: str, state: str
) -> dict[str, Any] | None:
    view: dict[str, Any] = await printer_view(client, auth, name)
    return view if view["state"] == state else None


async def test_paper_out_is_shown_and_published_and_the_job_prints_after(
    client: httpx.AsyncClient,
    print_server: FixedPortServer,
    fake_printer: FakePrinter,
    staff: dict[str, str],
) -> None:
    ws_url = print_server.url.replace("http", "ws") + f"/ws/offices/{OFFICE}"
    async with connect(ws_url, additional_headers=staff) as ws:
        first = json.loads(await ws.recv())
        assert first["type"] == "snapshot"
        fake_printer.state = "paper_out"
        ticket = await issue(client)

        event = await _next_event(ws, "printer.status", lambda d: d["state"] == "paper_out")
        assert event["data"]["printer"] == "quay-1"
        assert "paper_out" in event["data"]["problems"]
        assert event["data"]["pending"] == 1
        view = await printer_view(client, staff, "quay-1")
        assert view["state"] == "paper_out" and view["problems"][0] == "paper_out"
        assert [j["number"] for j in view["pending"]] == [ticket["number"]]

        fake_printer.state = "online"
        event = await _next_event(ws, "printer.status", lambda d: d["pending"] == 0)
        assert event["data"]["state"] == "ok" and event["data"]["problems"] == []
        assert event["data"]["last_ok"] is not None
    assert jobs_printed(fake_printer) == [url_of(ticket, print_server)]


async def _next_event(ws: Any, etype: str, match: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await ws.recv())
        if message.get("type") == etype and match(message["data"]):
            return dict(message)


async def test_a_cleared_job_never_prints_and_a_reprint_prints_again(
    client: httpx.AsyncClient,
    print_server: FixedPortServer,
    fake_printer: FakePrinter,
    staff: dict[str, str],
    manager: dict[str, str],
) -> None:
    fake_printer.state = "offline"
    stuck, kept = await issue(client), await issue(client)
    path = f"{PRINTERS}/quay-1/jobs/{stuck['print_job']}"
    refused = await client.delete(path, headers=staff)
    assert refused.status_code == 403
    res = await client.delete(path, headers=manager)
    assert res.status_code == 200, res.text
    assert res.json() == {"printer": "quay-1", "cleared": stuck["print_job"], "from": "queue"}
    again = await client.delete(path, headers=manager, params={"lang": "en"})
    assert again.status_code == 404 and "no print job" in again.json()["error"]["message"]

    fake_printer.state = "online"
    await until(lambda: jobs_printed(fake_printer), what="the kept ticket")
    res = await client.post(f"{PRINTERS}/quay-1/jobs", json={"reprint": stuck["id"]}, headers=staff)
    assert res.status_code == 202, res.text
    assert res.json()["job"]["ticket"] == stuck["id"]
    await until(lambda: len(jobs_printed(fake_printer)) == 2, what="the reprint")
    printed = jobs_printed(fake_printer)
    assert printed == [url_of(kept, print_server), url_of(stuck, print_server)]
    reprint = decode([c for c in fake_printer.connections if c][-1])
    assert any(line.startswith("Bản in lại lúc") for line in reprint.lines)


async def test_a_document_job_and_bad_requests(
    client: httpx.AsyncClient, fake_printer: FakePrinter, staff: dict[str, str]
) -> None:
    slip = {"office": "UBND phường Ba Đình", "code": "HK-0042", "citizen": "Nguyễn Văn A",
            "procedure": "Đăng ký khai sinh", "when": "2026-11-30T09:30:00+07:00",
            "place": "Quầy 2", "url": "http://127.0.0.1:8000/b/HK-0042"}  # fmt: skip
    jobs = f"{PRINTERS}/quay-1/jobs"
    res = await client.post(jobs, json={"kind": "appointment", "data": slip}, headers=staff)
    assert res.status_code == 202, res.text
    assert res.json()["job"]["number"] == "HK-0042"
    await until(lambda: jobs_printed(fake_printer) == [slip["url"]], what="the slip")

    bad = await client.post(jobs, json={"kind": "appointment", "data": {**slip, "when": "x"}},
                            headers=staff)  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == (
        "Không in được: trường 'when' phải là ngày giờ theo ISO 8601."
    )
    unknown_kind = await client.post(jobs, json={"kind": "poster", "data": {}}, headers=staff)
    assert unknown_kind.status_code == 400
    no_printer = await client.post(
        f"{PRINTERS}/may-in-khac/jobs", json={"kind": "ticket", "data": {}}, headers=staff
    )
    assert no_printer.status_code == 404
    assert "Không có máy in 'may-in-khac'" in no_printer.json()["error"]["message"]
    anonymous = await client.post(jobs, json={"kind": "appointment", "data": slip})
    assert anonymous.status_code == 401
    assert (await client.get(PRINTERS)).status_code == 401
    assert len(jobs_printed(fake_printer)) == 1


async def test_a_job_on_the_wire_when_the_server_died_is_held_not_printed_again(
    r: Any, print_config: Config, fake_printer: FakePrinter, staff: dict[str, str]
) -> None:
    # What a server process leaves behind when it dies while sending job 1: the job read
    # through the group and marked on the wire. Job 2 was read too but never started.
    jobs = PrintJobs(r)
    ticket = {"office": "UBND", "number": "A001", "field": "Hộ tịch", "people_ahead": 0,
              "issued_at": "2026-11-24T09:00:00+07:00"}  # fmt: skip
    ids = [
        await jobs.enqueue(
            OFFICE,
            "quay-1",
            "ticket",
            {**ticket, "url": f"http://x/t/{n}"},
            ticket=None,
            requested_by="kiosk",
            now_ms=1,
        )
        for n in (1, 2, 3)
    ]
    assert (await jobs.next_job(OFFICE, "quay-1", 0)).id == ids[0]  # type: ignore[union-attr]
    assert await jobs.begin(OFFICE, "quay-1", ids[0], 2)

    server = FixedPortServer(print_config, free_port())
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            await until(lambda: len(jobs_printed(fake_printer)) == 2, what="jobs 2 and 3")
            view = await printer_view(client, staff, "quay-1")
    finally:
        server.stop()
    assert jobs_printed(fake_printer) == ["http://x/t/2", "http://x/t/3"]
    assert view["pending"] == [] and view["sending"] is None
    [held] = view["held"]
    assert held["id"] == ids[0] and held["reason"] == "uncertain"
    assert "may have printed" in held["detail"]
    events = await r.xrange(keys.events(OFFICE))
    held_events = [json.loads(f["data"]) for _, f in events if "job_held" in f["data"]]
    assert held_events[0]["job_held"]["id"] == ids[0]


async def test_two_server_processes_drive_one_printer_and_the_second_takes_over(
    r: Any, print_config: Config, fake_printer: FakePrinter, monkeypatch: Any
) -> None:
    # Short enough for a quick takeover, long enough for two servers in one busy process.
    monkeypatch.setattr(ServerDriver, "lock_ttl_ms", 2000)
    first, second = (FixedPortServer(print_config, free_port()) for _ in range(2))
    first.start()
    holder = await until(lambda: r.get(keys.printer_lock(OFFICE, "quay-1")), what="a driver")
    second.start()
    try:
        async with (
            httpx.AsyncClient(base_url=first.url) as a,
            httpx.AsyncClient(base_url=second.url) as b,
        ):
            clients = [a, b, a, b, a, b, b, b]
            tickets = [await issue(c) for c in clients[:5]]
            await until(lambda: len(jobs_printed(fake_printer)) >= 5, what="five tickets")
            first.stop()
            tickets += [await issue(b) for _ in range(3)]
            await until(lambda: len(jobs_printed(fake_printer)) >= 8, what="after takeover")
            assert await r.get(keys.printer_lock(OFFICE, "quay-1")) not in (None, holder)
    finally:
        first.stop()
        second.stop()
    # Each QR leads to the server the kiosk asked (no server.public_url).
    urls = [
        f"{str(c.base_url).rstrip('/')}/t/{t['id']}" for c, t in zip(clients, tickets, strict=True)
    ]
    assert jobs_printed(fake_printer) == urls


async def test_raster_ticket_from_the_queue_carries_the_ticket_qr(
    r: Any, config: Config, fake_printer: FakePrinter
) -> None:
    cfg = with_printers(config, Printer("quay-1", fake_printer.url, "server", PrintOptions()))
    server = FixedPortServer(cfg, free_port())
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            ticket = await issue(client, "DD")
            await until(lambda: any(fake_printer.connections), what="the raster ticket")
    finally:
        server.stop()
    [job] = [c for c in fake_printer.connections if c]
    image = decode(job).image()
    assert image.width == 576
    found = [res.text for res in zxingcpp.read_barcodes(image.convert("L"))]
    assert found == [f"{server.url}/t/{ticket['id']}"]


async def test_a_clerk_is_told_a_job_is_not_theirs_even_while_it_is_on_the_wire(r: Any) -> None:
    """Whose the job is comes before what it is doing: another's job is refused as such
    (403), also in the moment its bytes are being sent; one's own job then is a 409."""
    jobs = PrintJobs(r)
    await jobs.ensure_group(OFFICE, "quay-1")
    theirs = await jobs.enqueue(
        OFFICE, "quay-1", "ticket", {}, ticket=None, requested_by="minh", now_ms=1
    )
    assert await jobs.next_job(OFFICE, "quay-1", 10) is not None
    assert await jobs.begin(OFFICE, "quay-1", theirs, 2)  # on the wire
    with pytest.raises(Forbidden):
        await jobs.clear(OFFICE, "quay-1", theirs, "lan", 3, None, only_own=True)
    with pytest.raises(Conflict):
        await jobs.clear(OFFICE, "quay-1", theirs, "minh", 3, None, only_own=True)
