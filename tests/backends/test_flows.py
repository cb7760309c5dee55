"""The core flows on a Redis Cluster and on Valkey: tickets of two offices on two cluster
nodes, counters calling at once, transfers, the day rollover, boards over WebSocket with
replay, appointments, the print queue, accounts, and scripts after a server restart."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from queue_server.errors import Conflict
from queue_server.services.appointments import AppointmentService, Citizen
from queue_server.services.auth import AuthService
from queue_server.services.clock import FixedClock
from queue_server.services.queue import QueueService
from queue_server.store import keys
from queue_server.store.bookings import BookingStore
from queue_server.store.printjobs import PrintJobs
from tests.backends.conftest import OFFICE_A, Backend
from tests.support.offices import OFFICE_B
from tests.support.servers import LocalCluster

A = f"/api/v1/offices/{OFFICE_A}"
B = f"/api/v1/offices/{OFFICE_B}"
WED_9 = datetime(2026, 11, 25, 9, 0)  # MORNING is Tuesday 24/11/2026 09:00


async def issue(http: httpx.AsyncClient, office: str, field: str) -> dict[str, Any]:
    res = await http.post(f"{office}/tickets", json={"field": field})
    assert res.status_code == 201, res.text
    ticket: dict[str, Any] = res.json()
    return ticket


async def post(
    http: httpx.AsyncClient, path: str, auth: dict[str, str], body: Any = None
) -> httpx.Response:
    res = await http.post(path, json=body, headers=auth)
    assert res.status_code in (200, 201, 204), res.text
    return res


def test_the_two_offices_live_on_different_cluster_nodes(redis_cluster: LocalCluster) -> None:
    nodes = {redis_cluster.node_of(keys.events(o)) for o in (OFFICE_A, OFFICE_B)}
    assert len(nodes) == 2


async def test_tickets_of_two_offices(http: httpx.AsyncClient) -> None:
    tickets = await asyncio.gather(*(issue(http, office, "HT") for office in (A, B, A, B, A)))
    numbers = {(t["office"], t["number"]) for t in tickets}
    assert numbers == {
        (OFFICE_A, "A001"), (OFFICE_A, "A002"), (OFFICE_A, "A003"),
        (OFFICE_B, "A001"), (OFFICE_B, "A002"),
    }  # fmt: skip
    last = max((t for t in tickets if t["office"] == OFFICE_B), key=lambda t: t["number"])
    seen = (await http.get(f"/api/v1/tickets/{last['id']}")).json()
    assert (seen["number"], seen["status"], seen["position"]) == ("A002", "waiting", 1)


async def test_counters_calling_at_once_call_every_ticket_once(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    fields = ["HT", "CT", "TP", "DD", "LD"]
    issued = [await issue(http, B, fields[i % 5]) for i in range(30)]
    counters = [1, 2, 3, 4, 5]
    for n in counters:
        await post(http, f"{B}/counters/{n}/open", staff)

    async def serve(n: int) -> list[str]:
        called: list[str] = []
        while True:
            res = await post(http, f"{B}/counters/{n}/call-next", staff)
            if res.status_code == 204:
                return called
            ticket = res.json()
            called.append(ticket["id"])
            await post(http, f"/api/v1/tickets/{ticket['id']}/finish", staff, {"counter": n})

    served = await asyncio.gather(*(serve(n) for n in counters))
    everyone = [tid for ids in served for tid in ids]
    assert sorted(everyone) == sorted(t["id"] for t in issued)  # each once, none left


async def test_transfer_recall_and_finish(http: httpx.AsyncClient, staff: dict[str, str]) -> None:
    first = await issue(http, A, "HT")
    await post(http, f"{A}/counters/1/open", staff)
    await post(http, f"{A}/counters/3/open", staff)
    called = (await post(http, f"{A}/counters/1/call-next", staff)).json()
    assert called["id"] == first["id"] and called["counter"] == 1
    moved = await post(http, f"/api/v1/tickets/{first['id']}/transfer", staff, {"field": "CT"})
    assert (moved.json()["status"], moved.json()["lane"]) == ("waiting", "CT")
    again = (await post(http, f"{A}/counters/3/call-next", staff)).json()
    assert again["id"] == first["id"] and again["counter"] == 3
    for step in ("recall", "start", "finish"):
        await post(http, f"/api/v1/tickets/{first['id']}/{step}", staff, {"counter": 3})
    done = (await http.get(f"/api/v1/tickets/{first['id']}")).json()
    assert done["status"] == "done"


async def test_day_rollover(service: QueueService, clock: FixedClock) -> None:
    yesterday = [await service.issue(office, "HT") for office in (OFFICE_A, OFFICE_B, OFFICE_B)]
    clock.advance(24 * 3600)
    assert await service.start_day(OFFICE_B) == 2
    assert await service.start_day(OFFICE_B) == 0  # once a day
    today = await service.issue(OFFICE_B, "HT")
    assert today.ticket.number == "A001" and today.position == 0
    states = [(await service.store.ticket(p.ticket.id)).status for p in yesterday]
    assert states == ["waiting", "cancelled", "cancelled"]  # office A's day has not started


async def test_rollover_refuses_a_ticket_it_was_not_given(service: QueueService) -> None:
    """Every key the script touches comes in KEYS: a ticket queued after the caller read
    the queues is not among them, so the script changes nothing and asks to read again."""
    placed = await service.issue(OFFICE_A, "HT")
    office = service.office(OFFICE_A)
    queues = [keys.queue(OFFICE_A, "HT", k) for k in ("appointment", "priority", "normal")]
    with pytest.raises(Conflict) as info:
        await service.store.scripts.run(
            "rollover",
            [keys.idempotency(OFFICE_A, "-"), keys.current_day(OFFICE_A),
             keys.events(OFFICE_A), *queues],
            ["0", 0, "2099-01-01", OFFICE_A, len(queues)],
        )  # fmt: skip
    assert info.value.code == "stale"
    assert (await service.store.ticket(placed.ticket.id)).status == "waiting"
    assert await service.store.rollover(office, "2099-01-01", 0) == 1


async def recv(ws: ClientConnection) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if msg["type"] != "ping":
            return msg


def ws_url(server: str, office: str, query: str = "") -> str:
    return server.replace("http://", "ws://") + f"/ws/offices/{office}{query}"


async def test_boards_of_both_offices_live_and_replayed(
    server: str, http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    async with (
        ws_connect(ws_url(server, OFFICE_A)) as board_a,
        ws_connect(ws_url(server, OFFICE_B)) as board_b,
    ):
        assert (await recv(board_a))["type"] == (await recv(board_b))["type"] == "snapshot"
        await issue(http, A, "HT")
        await issue(http, B, "CT")
        await issue(http, A, "HT")
        got_a = [await recv(board_a) for _ in range(2)]
        got_b = await recv(board_b)
        assert [m["data"]["number"] for m in got_a] == ["A001", "A002"]
        assert {m["office"] for m in got_a} == {OFFICE_A}
        assert (got_b["office"], got_b["data"]["number"]) == (OFFICE_B, "B001")
    seen = got_b["id"]
    # Board B offline: four things happen in its office, one in the other.
    for _ in range(3):
        await issue(http, B, "HT")
    await issue(http, A, "DD")
    await post(http, f"{B}/counters/2/open", staff)
    async with ws_connect(ws_url(server, OFFICE_B, f"?since={seen}")) as board_b:
        missed = [await recv(board_b) for _ in range(4)]
        assert [m["type"] for m in missed] == ["ticket.issued"] * 3 + ["counter.opened"]
        assert [m["data"].get("number") for m in missed[:3]] == ["A001", "A002", "A003"]
        await post(http, f"{B}/counters/2/call-next", staff)
        live = await recv(board_b)
        # Counter 2 serves HT before CT.
        assert (live["type"], live["data"]["number"]) == ("ticket.called", "A001")
        assert live["id"] > missed[-1]["id"] > seen


@pytest.fixture
def appointments(r: Any, service: QueueService, clock: FixedClock) -> AppointmentService:
    return AppointmentService(service.config, BookingStore(r), service, clock)


async def test_appointments(appointments: AppointmentService, clock: FixedClock) -> None:
    office = appointments.queue.office(OFFICE_B)
    limit = office.appointments.max_active_per_phone
    phone = Citizen("Trần Thị Bình", "0912345678")
    made = [await appointments.book(OFFICE_B, "HT", "", WED_9, phone) for _ in range(limit)]
    with pytest.raises(Conflict) as info:
        await appointments.book(OFFICE_B, "HT", "", WED_9, phone)
    assert info.value.code == "phone_limit"
    await appointments.cancel(OFFICE_B, made[0].code)
    again = await appointments.book(OFFICE_B, "HT", "", WED_9, phone)
    assert again.status == "booked"
    # Staff at an address: one person cannot be in two places at once.
    visit = await appointments.book_onsite(
        OFFICE_B, "lan", "CT", "", WED_9, 60, "Số 5 Tràng Tiền, Hoàn Kiếm", phone
    )
    with pytest.raises(Conflict) as info:
        await appointments.book_onsite(
            OFFICE_B, "lan", "CT", "", WED_9.replace(minute=30), 60, "Số 9 Hàng Bài", phone
        )
    assert info.value.code == "staff_busy"
    assert visit.kind == "onsite"
    # On the day, at the kiosk: a ticket of the appointment class.
    clock.advance(24 * 3600 - 10 * 60)
    checked = await appointments.check_in(OFFICE_B, again.code)
    assert checked.status == "ok" and checked.placed is not None
    assert checked.placed.ticket.klass == "appointment"
    assert checked.booking.status == "checked_in"
    assert (await appointments.check_in(OFFICE_B, again.code)).again
    await appointments.limit(office, "203.0.113.9", phone.phone)  # the rate counters


async def test_print_queue(r: Any) -> None:
    jobs = PrintJobs(r)
    await jobs.ensure_group(OFFICE_B, "kiosk-1")
    ids = [
        await jobs.enqueue(OFFICE_B, "kiosk-1", "ticket", {"number": n}, ticket=None,
                           requested_by="test", now_ms=1, idempotency_key=f"job-{n}")
        for n in ("A001", "A002", "A002", "A003")
    ]  # fmt: skip
    assert ids[1] == ids[2] and len(set(ids)) == 3  # a retried request adds no job
    first = await jobs.next_job(OFFICE_B, "kiosk-1", 100)
    assert first is not None and first.data == {"number": "A001"}
    assert await jobs.begin(OFFICE_B, "kiosk-1", first.id, 2)
    await jobs.report(OFFICE_B, "kiosk-1", job_id=first.id, state="ok", problems=[], error="",
                      now_ms=3, what="done", driver="server")  # fmt: skip
    second = await jobs.next_job(OFFICE_B, "kiosk-1", 100)
    assert second is not None and second.data == {"number": "A002"}
    assert await jobs.hold(OFFICE_B, "kiosk-1", second.id, "uncertain", "test", 4)
    assert [j.id for j in await jobs.held(OFFICE_B, "kiosk-1")] == [second.id]
    assert await jobs.clear(OFFICE_B, "kiosk-1", ids[3], "lan", 5, None) == "queue"
    assert await jobs.next_job(OFFICE_B, "kiosk-1", 100) is None


async def test_accounts(auth: AuthService) -> None:
    await auth.add_user("lan", "staff", "mat-khau-123", offices=[OFFICE_A])
    token, who = await auth.login("lan", "mat-khau-123")
    assert who.name == "lan" and await auth.authenticate(token) is not None
    board = await auth.add_device("tv-1", "display", OFFICE_B)
    replaced = await auth.add_device("tv-1", "display", OFFICE_B)
    assert await auth.authenticate(board) is None  # the old token is revoked
    assert (await auth.authenticate(replaced)) is not None
    assert [d["name"] for d in await auth.devices(OFFICE_B)] == ["tv-1"]
    assert await auth.remove_device("tv-1")
    assert await auth.authenticate(replaced) is None
    await auth.accounts.delete_user("lan")
    assert await auth.authenticate(token) is None
    assert await auth.users() == []


async def test_scripts_after_a_restart_with_an_empty_script_cache(
    backend: Backend, r: Any, http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    assert (await issue(http, B, "HT"))["number"] == "A001"
    await post(http, f"{B}/counters/2/open", staff)
    backend.restart_holder_of(keys.events(OFFICE_B))
    # The server's client reconnects; the node has the data (append-only file) but none
    # of the scripts.
    assert (await issue(http, B, "HT"))["number"] == "A002"
    called = (await post(http, f"{B}/counters/2/call-next", staff)).json()
    assert called["number"] == "A001"
    await r.script_flush()
    assert (await issue(http, A, "HT"))["number"] == "A001"
