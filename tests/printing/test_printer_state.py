"""What a clerk who sends a slip is told about the printer, against the fake network printer
switched off and on: the state in the answer, the job's fate, cancelling a waiting job, and
the bytes the printer received (the slip once, or not at all when cancelled)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from printer.errors import offline_reason
from printer.render import PrintOptions
from queue_server.office import Printer
from queue_server.services.auth import AuthService
from queue_server.services.printing import ServerDriver, availability
from tests.printer.escpos_stream import decode
from tests.printer.fakeprinter import FakePrinter
from tests.printing.conftest import OFFICE, until

API = f"/api/v1/offices/{OFFICE}"
PRINTERS = f"{API}/printers"


@pytest.mark.parametrize(
    ("problems", "error", "reason"),
    [
        ([], "printer tcp://10.0.0.5:9100 is offline: [Errno 111] Connection refused",
         "connection_refused"),
        ([], "printer tcp://10.0.0.5:9100 is offline: timed out", "timed_out"),
        ([], "printer tcp://10.0.0.5:9100 is offline: [Errno 113] No route to host", "no_route"),
        ([], "printer tcp://p1:9100 is offline: [Errno 112] Host is down", "host_unreachable"),
        ([], "[Errno 101] Network is unreachable", "network_unreachable"),
        ([], "[Errno -2] Name or service not known", "name_unknown"),
        ([], "sending failed: [Errno 104] Connection reset by peer", "connection_reset"),
        ([], "printer serial:///dev/ttyUSB0 is offline: no status answer within 2 s",
         "no_answer"),
        ([], "printer usb://04b8:0202 is offline: no such USB device connected", "no_device"),
        ([], "[Errno 13] Permission denied: '/dev/usb/lp0'", "permission_denied"),
        (["paper_out", "offline"], "printer not ready: paper_out, offline", "paper_out"),
        (["cover_open"], "printer not ready: cover_open", "cover_open"),
        (["cutter_error"], "printer not ready: cutter_error", "cutter_error"),
        ([], "something new", "other"),
    ],
)  # fmt: skip
def test_offline_reason(problems: list[str], error: str, reason: str) -> None:
    assert offline_reason(problems, error) == reason


NET = Printer("quay-1", "tcp://10.0.0.5:9100", "server", PrintOptions())
AGENT = Printer("kiosk-1", "file:///dev/usb/lp0?readable=1", "agent", PrintOptions())
REFUSED = "printer tcp://10.0.0.5:9100 is offline: [Errno 111] Connection refused"


@pytest.mark.parametrize(
    ("printer", "recorded", "driven", "expected"),
    [
        (NET, {}, True, ("unknown", None, None)),
        (NET, {"state": "ok", "since": "5", "updated_at": "9"}, True, ("online", 5, None)),
        (NET, {"state": "offline", "since": "5", "last_error": REFUSED}, True,
         ("offline", 5, "connection_refused")),
        (NET, {"state": "paper_out", "problems": '["paper_out"]', "updated_at": "7"}, True,
         ("offline", 7, "paper_out")),
        (AGENT, {"state": "ok", "since": "5"}, False, ("offline", 5, "no_agent")),
        (AGENT, {"state": "ok", "since": "5"}, True, ("online", 5, None)),
    ],
)  # fmt: skip
def test_availability(
    printer: Printer, recorded: dict[str, str], driven: bool, expected: tuple[Any, ...]
) -> None:
    a = availability(printer, recorded, driven)
    assert (a["state"], a["since"], a["reason"]) == expected
    assert a["detail"] == (recorded.get("last_error") if a["state"] == "offline" else None)


@pytest.fixture(autouse=True)
def quick_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """An idle printer is asked for its state every 30 s; here often, so that a printer
    switched off is known to be off before the next slip, as it is after 30 s."""
    monkeypatch.setattr(ServerDriver, "idle_poll_s", 0.3)


async def serving(client: httpx.AsyncClient, staff: dict[str, str]) -> Any:
    """A ticket being served at counter 1."""
    assert (await client.post(f"{API}/counters/1/open", headers=staff)).status_code == 200
    issued = await client.post(f"{API}/tickets", json={"field": "HT"})
    assert issued.status_code == 201, issued.text
    called = await client.post(f"{API}/counters/1/call-next", headers=staff)
    assert called.status_code == 200, called.text
    tid = called.json()["id"]
    started = await client.post(f"/api/v1/tickets/{tid}/start", json={"counter": 1}, headers=staff)
    assert started.status_code == 200, started.text
    return started.json()


async def slip(
    client: httpx.AsyncClient, staff: dict[str, str], tid: str, procedure: str
) -> dict[str, Any]:
    res = await client.post(
        f"/api/v1/tickets/{tid}/result",
        json={"procedure": procedure, "name": "Nguyễn Thị Hoa", "printer": "quay-1"},
        headers=staff,
    )
    assert res.status_code == 201, res.text
    made: dict[str, Any] = res.json()
    return made


async def job_status(client: httpx.AsyncClient, staff: dict[str, str], job: str) -> str:
    res = await client.get(f"{PRINTERS}/quay-1/jobs/{job}", headers=staff)
    assert res.status_code == 200, res.text
    status: str = res.json()["status"]
    return status


def slips_printed(fake: FakePrinter) -> list[list[str]]:
    """The text lines of each job the printer received (status queries left out)."""
    with fake._lock:
        return [decode(job).lines for job in fake.connections if job]


async def offline(client: httpx.AsyncClient, staff: dict[str, str]) -> dict[str, Any]:
    async def state() -> Any:
        res = await client.get(PRINTERS, headers=staff)
        [p] = [p for p in res.json()["printers"] if p["name"] == "quay-1"]
        return p["availability"] if p["availability"]["state"] == "offline" else None

    found: dict[str, Any] = await until(state, what="the printer seen offline")
    return found


async def test_a_slip_sent_to_a_printer_that_is_off_says_so_and_prints_once_when_it_is_on(
    client: httpx.AsyncClient, fake_printer: FakePrinter, staff: dict[str, str]
) -> None:
    ticket = await serving(client, staff)
    fake_printer.switch_off()
    seen = await offline(client, staff)
    assert seen["reason"] == "connection_refused" and "refused" in seen["detail"]
    made = await slip(client, staff, ticket["id"], "1.004873")
    state = made["printer_state"]
    assert state["name"] == "quay-1" and state["state"] == "offline"
    assert state["reason"] == "connection_refused" and isinstance(state["since"], int)
    assert state["waiting"] == 1
    assert made["slip_page"] == f"/appointments/{made['code']}/slip"
    assert await job_status(client, staff, made["print_job"]) in ("waiting", "printing")
    assert slips_printed(fake_printer) == []

    fake_printer.switch_on()
    await until(lambda: _is(client, staff, made["print_job"], "printed"), what="the slip printed")
    fake_printer.wait_idle()
    printed = slips_printed(fake_printer)
    assert len(printed) == 1
    assert any(made["code"] in line for line in printed[0])
    assert "PHIẾU HẸN TRẢ KẾT QUẢ" in printed[0]
    back = (await client.get(f"{PRINTERS}/quay-1/jobs/{made['print_job']}", headers=staff)).json()
    assert back["printer_state"]["state"] == "online"
    # Printed: there is nothing left to cancel, and the clerk is told why.
    res = await client.delete(f"{PRINTERS}/quay-1/jobs/{made['print_job']}", headers=staff)
    assert res.status_code == 409 and res.json()["error"]["code"] == "printed"
    assert res.json()["error"]["message"] == "Phiếu này đã được in ra, không hủy được nữa."


async def _is(client: httpx.AsyncClient, staff: dict[str, str], job: str, status: str) -> bool:
    return await job_status(client, staff, job) == status


async def test_a_cancelled_slip_never_prints_and_only_its_sender_or_a_manager_cancels_it(
    client: httpx.AsyncClient,
    fake_printer: FakePrinter,
    staff: dict[str, str],
    manager: dict[str, str],
    auth: AuthService,
) -> None:
    ticket = await serving(client, staff)
    fake_printer.switch_off()
    await offline(client, staff)
    first = await slip(client, staff, ticket["id"], "1.004873")
    path = f"{PRINTERS}/quay-1/jobs/{first['print_job']}"
    await auth.add_user("minh", "staff", "mat-khau-123", offices=[OFFICE])
    token, _ = await auth.login("minh", "mat-khau-123")
    other = await client.delete(path, headers={"Authorization": f"Bearer {token}"})
    assert other.status_code == 403, other.text

    # The driver retries while the printer is off; a cancel that meets an attempt on the
    # wire is refused (it might print) and can be asked again.
    async def cancel() -> httpx.Response | None:
        res = await client.delete(path, headers=staff)
        if res.status_code == 409:
            assert res.json()["error"]["code"] == "printing"
            return None
        return res

    res = await until(cancel, what="the cancel")
    assert res.status_code == 200, res.text
    assert res.json()["from"] == "queue"
    assert await job_status(client, staff, first["print_job"]) == "cleared"

    # A second dossier of the same citizen; it prints when the printer is back, the
    # cancelled one does not, before it or after it.
    second = await slip(client, staff, ticket["id"], "1.001193")
    fake_printer.switch_on()
    await until(lambda: _is(client, staff, second["print_job"], "printed"), what="the 2nd slip")
    fake_printer.wait_idle()
    printed = slips_printed(fake_printer)
    assert len(printed) == 1
    assert any(second["code"] in line for line in printed[0])
    assert not any(first["code"] in line for job in printed for line in job)
    # A manager may clear any waiting job, a clerk only their own.
    fake_printer.switch_off()
    await offline(client, staff)
    third = await client.post(
        f"{PRINTERS}/quay-1/jobs",
        json={"kind": "layout", "data": {"blocks": [{"type": "text", "text": "thử"}]}},
        headers=staff,
    )
    assert third.status_code == 202, third.text
    assert third.json()["printer_state"]["state"] == "offline"
    job = third.json()["job"]["id"]

    async def manager_clears() -> httpx.Response | None:
        res = await client.delete(f"{PRINTERS}/quay-1/jobs/{job}", headers=manager)
        return None if res.status_code == 409 else res

    assert (await until(manager_clears, what="the manager's clear")).status_code == 200


async def test_the_answer_says_what_happened_even_before_the_next_poll(
    client: httpx.AsyncClient,
    fake_printer: FakePrinter,
    staff: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = await serving(client, staff)
    # Online: the answer comes once the slip printed.
    made = await slip(client, staff, ticket["id"], "1.004873")
    assert made["print_status"] == "printed", made
    assert made["printer_state"]["state"] == "online"
    # Switched off while idle, between two polls: the server still thinks it online, and the
    # answer waits for the job's first attempt rather than saying "printing".
    monkeypatch.setattr(ServerDriver, "idle_poll_s", 3600)
    fake_printer.switch_off()
    made = await slip(client, staff, ticket["id"], "1.001193")
    assert made["print_status"] in ("waiting", "printing")
    assert made["printer_state"]["state"] == "offline"
    assert made["printer_state"]["reason"] == "connection_refused"
