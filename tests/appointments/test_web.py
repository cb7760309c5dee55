"""The appointment API and the booking pages over HTTP, on a real server with a fixed clock."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from printer.layout import QR, Columns, Text
from printer.render import document_layout
from queue_server.config import Config
from queue_server.services.auth import AuthService
from queue_server.services.clock import FixedClock
from queue_server.store import keys
from queue_server.store.bookings import BookingStore
from tests.appointments.conftest import with_appointments
from tests.conftest import start_server

OFFICE_API = "/api/v1/offices/phuong-ba-dinh"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(year: int, month: int, day: int, hour: int, minute: int) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=TZ).timestamp() * 1000)


@pytest.fixture
def web_clock() -> FixedClock:
    return FixedClock(at(2026, 11, 25, 8, 0))  # Wednesday


@pytest.fixture
def web(r: Any, cap3: Config, web_clock: FixedClock) -> Iterator[str]:
    thread = start_server(with_appointments(cap3, bookings_per_ip_per_hour=4), web_clock)
    url = thread.start()
    yield url
    thread.stop()


@pytest.fixture
async def client(web: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web, timeout=10) as c:
        yield c


BODY = {"field": "HT", "procedure": "1.004873", "start": "2026-11-26T09:00",
        "name": "Nguyễn Thị Hoa", "phone": "0912 345 678"}  # fmt: skip


async def test_book_view_move_cancel_over_the_api(client: httpx.AsyncClient) -> None:
    slots = (await client.get(f"{OFFICE_API}/appointments/slots", params={"field": "HT"})).json()
    assert slots["days"][:2] == ["2026-11-25", "2026-11-26"]
    day = (await client.get(f"{OFFICE_API}/appointments/slots?field=HT&day=2026-11-26")).json()
    assert day["slots"][0] == {"start": "2026-11-26T07:30", "end": "2026-11-26T08:00",
                               "remaining": 3}  # fmt: skip
    made = await client.post(f"{OFFICE_API}/appointments", json=BODY)
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    assert made.json()["phone"] == "0912345678"
    got = (await client.get(f"{OFFICE_API}/appointments/{code.lower()}")).json()
    assert got["time_label"] == "09:00-09:30" and got["date_label"] == "Thứ Năm, 26/11/2026"
    moved = await client.post(f"{OFFICE_API}/appointments/{code}/reschedule",
                              json={"start": "2026-11-26T10:00"})  # fmt: skip
    assert moved.json()["time_label"] == "10:00-10:30"
    cancelled = await client.post(f"{OFFICE_API}/appointments/{code}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    again = await client.post(f"{OFFICE_API}/appointments/{code}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["message"] == (
        "Không thể hủy lịch hẹn này: lịch hẹn đã bị hủy. Chỉ hủy được lịch hẹn đã đặt và chưa đến."
    )


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"phone": "12345"}, 400, "Số điện thoại không hợp lệ"),
        ({"start": "2026-11-26T12:00"}, 409, "không còn trống"),
        ({"start": "ngày mai"}, 400, "Vui lòng chọn một khung giờ."),
        ({"field": "XX"}, 404, "Không có lĩnh vực"),
    ],
)
async def test_bad_bookings_get_a_clear_message_and_change_nothing(
    client: httpx.AsyncClient, r: Any, change: dict[str, str], status: int, message: str
) -> None:
    answer = await client.post(f"{OFFICE_API}/appointments", json={**BODY, **change})
    assert answer.status_code == status
    assert message in answer.json()["error"]["message"]
    assert await r.keys("sq:{phuong-ba-dinh}:b:*") == []


async def test_abusive_rate_gets_429(client: httpx.AsyncClient) -> None:
    codes = []
    for i in range(4):
        body = {**BODY, "phone": f"09{i:08d}", "start": f"2026-11-26T{8 + i:02d}:00"}
        answer = await client.post(f"{OFFICE_API}/appointments", json=body)
        assert answer.status_code == 201, answer.text
        codes.append(answer.json()["code"])
    refused = await client.post(f"{OFFICE_API}/appointments", json={**BODY, "phone": "0987654321"})
    assert refused.status_code == 429
    assert "Quá nhiều yêu cầu" in refused.json()["error"]["message"]
    en = await client.post(f"{OFFICE_API}/appointments?lang=en", json=BODY)
    assert en.status_code == 429 and "too many" in en.json()["error"]["message"]


async def test_walk_ins_stop_before_closing_but_check_ins_go_on(
    client: httpx.AsyncClient, r: Any, web_clock: FixedClock
) -> None:
    late_slot = {**BODY, "start": "2026-11-25T16:00"}
    made = await client.post(f"{OFFICE_API}/appointments", json=late_slot)
    code = made.json()["code"]
    issued = await client.post(f"{OFFICE_API}/tickets", json={"field": "HT"})
    assert issued.status_code == 201
    web_clock.ms = at(2026, 11, 25, 16, 15)
    await BookingStore(r).set_gate("phuong-ba-dinh", "closed", web_clock.ms)
    refused = await client.post(f"{OFFICE_API}/tickets", json={"field": "HT"})
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "walk_in_closed",
        "message": "Đã hết giờ lấy số hôm nay. Các số đã cấp vẫn được phục vụ. Mời quay lại"
        " lúc 7:30 thứ Năm, 26/11.",
    }
    checked = await client.post(f"{OFFICE_API}/check-in", json={"code": code})
    assert checked.status_code == 201 and checked.json()["ticket"]["priority"] == "appointment"
    ticket = await client.get(f"/api/v1/tickets/{issued.json()['id']}")
    assert ticket.json()["status"] == "waiting"


async def test_check_in_early_and_twice(client: httpx.AsyncClient, web_clock: FixedClock) -> None:
    code = (await client.post(f"{OFFICE_API}/appointments", json=BODY)).json()["code"]
    early = (await client.post(f"{OFFICE_API}/check-in", json={"code": code})).json()
    assert early["status"] == "early" and early["ticket"] is None
    assert early["opens_at"] == "08:30 Thứ Năm, 26/11/2026"
    assert "phone" not in early["booking"]
    web_clock.ms = at(2026, 11, 26, 8, 50)
    first = await client.post(f"{OFFICE_API}/check-in", json={"code": f"{code[:4]}-{code[4:]}"})
    second = await client.post(f"{OFFICE_API}/check-in", json={"code": code})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["ticket"]["id"] == second.json()["ticket"]["id"]
    assert second.json()["again"] is True
    unknown = await client.post(f"{OFFICE_API}/check-in", json={"code": "ABCDEFGH"})
    assert unknown.status_code == 404


async def test_result_pickup_slip_and_apology(
    client: httpx.AsyncClient, staff: dict[str, str], web_clock: FixedClock
) -> None:
    await client.post(f"{OFFICE_API}/counters/4/open", headers=staff)
    issued = (await client.post(f"{OFFICE_API}/tickets", json={"field": "DD"})).json()
    await client.post(f"{OFFICE_API}/counters/4/call-next", headers=staff)
    await client.post(f"/api/v1/tickets/{issued['id']}/start", headers=staff)
    body = {"procedure": "1.012755", "name": "Phạm Văn E", "phone": "0911222333"}
    url = f"/api/v1/tickets/{issued['id']}/result"
    assert (await client.post(url, json=body)).status_code == 401
    made = await client.post(url, json=body, headers=staff)
    assert made.status_code == 201, made.text
    b = made.json()
    # First land-use certificate: 20 working days from Wednesday 25/11/2026.
    assert (b["kind"], b["day"]) == ("result", "2026-12-23")
    slip = await client.get(b["slip_url"])
    assert slip.headers["content-type"] == "image/png" and slip.content[:4] == b"\x89PNG"
    late = await client.post(f"/api/v1/appointments/{b['code']}/postpone", headers=staff,
                             json={"date": "2026-12-30", "reason": "Chờ đo đạc",
                                   "printer": "kiosk-1"})  # fmt: skip
    assert late.status_code == 200, late.text
    assert late.json()["reschedules"] == 1 and late.json()["history"][-1]["by"] == "lan"
    assert (await client.get(b["slip_url"])).content != slip.content
    # Printed as the apology slip, a document of its own.
    printers = (await client.get(f"{OFFICE_API}/printers", headers=staff)).json()["printers"]
    [job] = next(p for p in printers if p["name"] == "kiosk-1")["pending"]
    assert (job["kind"], job["number"]) == ("apology", b["code"])
    assert job["id"] == late.json()["print_job"]
    link = await client.get(f"/appointments/{b['code']}", follow_redirects=False)
    assert link.headers["location"] == f"/book/phuong-ba-dinh/{b['code']}"


async def test_slips_name_the_clerk_in_full(
    client: httpx.AsyncClient, staff: dict[str, str], auth: AuthService, r: Any
) -> None:
    """ "Người tiếp nhận: Nguyễn Thị Lan" on the printed result slip and the apology slip, by
    the name the account has when the slip is printed."""
    await auth.accounts.set_full_name("lan", "Nguyễn Thị Lan")
    await client.post(f"{OFFICE_API}/counters/4/open", headers=staff)
    issued = (await client.post(f"{OFFICE_API}/tickets", json={"field": "DD"})).json()
    await client.post(f"{OFFICE_API}/counters/4/call-next", headers=staff)
    await client.post(f"/api/v1/tickets/{issued['id']}/start", headers=staff)
    body = {"procedure": "1.012755", "name": "Phạm Văn E", "printer": "kiosk-1"}
    made = await client.post(f"/api/v1/tickets/{issued['id']}/result", json=body, headers=staff)
    assert made.status_code == 201, made.text
    late = await client.post(f"/api/v1/appointments/{made.json()['code']}/postpone",
                             headers=staff, json={"date": "2026-12-30", "reason": "Chờ đo đạc",
                                                  "printer": "kiosk-1"})  # fmt: skip
    assert late.status_code == 200, late.text
    jobs = await r.xrange(keys.print_jobs("phuong-ba-dinh", "kiosk-1"))
    printed = [(f["kind"], printed_text(f["kind"], json.loads(f["data"]))) for _, f in jobs]
    assert [kind for kind, _ in printed] == ["result", "apology"]
    assert "Người tiếp nhận:\nNguyễn Thị Lan" in printed[0][1]
    assert "Người lập phiếu:\tNguyễn Thị Lan" in printed[1][1]
    assert "\tlan\n" not in printed[1][1] and "\nlan\n" not in printed[0][1]


def printed_text(kind: str, data: dict[str, Any]) -> str:
    """The words a slip prints, a line per text block, columns joined by a tab."""
    lines = []
    for block in document_layout(kind, data):
        if isinstance(block, Text):
            lines.append(block.text)
        elif isinstance(block, Columns):
            lines.append(f"{block.left}\t{block.right}")
    return "\n".join(lines) + "\n"


async def test_result_pickup_only_for_procedures_the_counter_handles(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    """Counter 1 serves HT and TP: a land procedure (DD) for its ticket is a 400 that says
    why; a TP one is recorded, once however many dialogs (keys) ask for it."""
    await client.post(f"{OFFICE_API}/counters/1/open", headers=staff)
    issued = (await client.post(f"{OFFICE_API}/tickets", json={"field": "HT"})).json()
    await client.post(f"{OFFICE_API}/counters/1/call-next", headers=staff)
    await client.post(f"/api/v1/tickets/{issued['id']}/start", headers=staff)
    url = f"/api/v1/tickets/{issued['id']}/result"
    refused = await client.post(url, json={"procedure": "1.012755"}, headers=staff)
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": "wrong_procedure",
        "message": "Thủ tục 1.012755 “Đăng ký đất đai, cấp Giấy chứng nhận lần đầu” thuộc lĩnh"
        f" vực Đất đai, không phải lĩnh vực của số {issued['number']} và Quầy 1 không phục vụ"
        " lĩnh vực này.",
    }
    en = await client.post(f"{url}?lang=en", json={"procedure": "1.012755"}, headers=staff)
    assert en.status_code == 400
    assert en.json()["error"]["message"].startswith(
        "procedure 1.012755 (First land-use certificate) is of the field Land (DD)"
    )
    bad_phone = await client.post(url, json={"procedure": "2.000908", "phone": "0123"},
                                  headers=staff)  # fmt: skip
    assert bad_phone.status_code == 400 and bad_phone.json()["error"]["code"] == "invalid_input"
    body = {"procedure": "2.000908", "name": "Lê Văn H", "phone": "0912 345 678"}
    first = await client.post(url, json=body, headers={**staff, "Idempotency-Key": "dlg-1-abcd"})
    again = await client.post(url, json=body, headers={**staff, "Idempotency-Key": "dlg-2-efgh"})
    assert (first.status_code, again.status_code) == (201, 201), first.text
    made = first.json()
    assert again.json()["code"] == made["code"]
    # Mediation and petitions: 10 working days from Wednesday 25/11/2026.
    assert (made["day"], made["date_label"]) == ("2026-12-09", "Thứ Tư, 09/12/2026")
    got = (await client.get(f"{OFFICE_API}/appointments/{made['code']}")).json()
    assert (got["kind"], got["field"], got["procedure"]) == ("result", "TP", "2.000908")
    assert (got["name"], got["phone"]) == ("Lê Văn H", "0912345678")
    plan = (await client.get(f"{OFFICE_API}/plan?day=2026-12-09", headers=staff)).json()
    assert [b["code"] for b in plan["items"]] == [made["code"]]


async def test_ics_download(client: httpx.AsyncClient) -> None:
    code = (await client.post(f"{OFFICE_API}/appointments", json=BODY)).json()["code"]
    ics = await client.get(f"/book/phuong-ba-dinh/{code}/calendar.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    text = ics.text
    assert "DTSTART:20261126T020000Z\r\n" in text and "DTEND:20261126T023000Z\r\n" in text
    assert f"UID:{code}@phuong-ba-dinh.sothutu" in text and text.endswith("END:VCALENDAR\r\n")


async def test_booking_page_in_english(client: httpx.AsyncClient) -> None:
    page = await client.get("/book/phuong-ba-dinh?field=HT&lang=en")
    assert "<h1>Book an appointment</h1>" in page.text and "Civil status" in page.text
    assert 'href="?field=HT&amp;lang=vi"' in page.text
    missing = await client.get("/book/nowhere?lang=vi")  # the choice is remembered
    assert missing.status_code == 404 and "Không có đơn vị" in missing.text


async def test_booking_form_shows_errors_inline(client: httpx.AsyncClient, r: Any) -> None:
    page = await client.get("/book/phuong-ba-dinh?field=HT&day=2026-11-26")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert csrf is not None
    form = {"csrf": csrf[1], "field": "HT", "procedure": "", "day": "2026-11-26",
            "start": "", "name": "H", "phone": "abc"}  # fmt: skip
    answer = await client.post("/book/phuong-ba-dinh", data=form)
    assert answer.status_code == 400
    assert 'id="err-phone">Số điện thoại không hợp lệ' in answer.text
    assert 'id="err-name">Vui lòng nhập họ và tên' in answer.text
    assert 'id="err-start">Vui lòng chọn một khung giờ.' in answer.text
    assert await r.keys("sq:{phuong-ba-dinh}:b:*") == []
    form.update(start="2026-11-26T09:00", name="Hoàng Văn F", phone="0912345678")
    done = await client.post("/book/phuong-ba-dinh", data=form, follow_redirects=False)
    assert done.status_code == 303 and re.fullmatch(r"/book/phuong-ba-dinh/[A-Z2-9]{8}\?new=1",
                                                    done.headers["location"])  # fmt: skip


async def test_the_app_runs_the_scheduler_and_hands_over_on_stop(
    r: Any, cap3: Config, web_clock: FixedClock
) -> None:
    thread = start_server(cap3, web_clock)
    thread.start()
    try:
        # The first tick runs at start: it takes the lock and records the office's time.
        for _ in range(200):
            if await r.get("sq:{phuong-ba-dinh}:sched") is not None:
                break
            await asyncio.sleep(0.025)
        assert await r.get("sq:{phuong-ba-dinh}:sched") == str(web_clock.ms)
        assert await r.get("sq:scheduler:lock") is not None
    finally:
        thread.stop()
    assert await r.get("sq:scheduler:lock") is None


async def test_check_in_prints_on_the_kiosk_printer_once(
    client: httpx.AsyncClient, r: Any, web_clock: FixedClock
) -> None:
    code = (await client.post(f"{OFFICE_API}/appointments", json=BODY)).json()["code"]
    web_clock.ms = at(2026, 11, 26, 8, 50)
    unknown = await client.post(f"{OFFICE_API}/check-in", json={"code": code, "printer": "x"})
    assert unknown.status_code == 404
    assert (await client.get(f"{OFFICE_API}/appointments/{code}")).json()["status"] == "booked"
    body = {"code": code, "printer": "kiosk-1"}
    first = await client.post(f"{OFFICE_API}/check-in", json=body)
    again = await client.post(f"{OFFICE_API}/check-in", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    jobs = [k for k in await r.keys("sq:{phuong-ba-dinh}:*") if "print" in k]
    assert jobs, "the check-in put a print job in the printer's line"
    lengths = [await r.xlen(k) for k in jobs if await r.type(k) == "stream"]
    assert sum(lengths) == 1  # the repeat prints nothing more
    # Checked in at 8:50 for 9:00: the ticket says when it is called and links its status.
    ticket = first.json()["ticket"]
    assert first.json()["call_notice"] == "Số của bạn sẽ được gọi lúc 9:00."
    assert first.json()["status_url"] == again.json()["status_url"] == f"/t/{ticket['id']}"
    [(_, job)] = await r.xrange(keys.print_jobs("phuong-ba-dinh", "kiosk-1"))
    data = json.loads(job["data"])
    text = printed_text("ticket", data)
    assert "\nSố của bạn sẽ được gọi lúc 9:00.\n" in text
    assert "Số người đang chờ" not in text and "Thời gian chờ dự kiến" not in text
    qr = [b for b in document_layout("ticket", data) if isinstance(b, QR)]
    assert len(qr) == 1 and qr[0].data.endswith(f"/t/{ticket['id']}")  # the status page
    en = await client.post(f"{OFFICE_API}/check-in?lang=en", json=body)
    assert en.json()["call_notice"] == "Your number will be called at 9:00."


async def test_late_check_in_is_called_at_the_first_free_counter(
    client: httpx.AsyncClient, r: Any, web_clock: FixedClock
) -> None:
    code = (await client.post(f"{OFFICE_API}/appointments", json=BODY)).json()["code"]
    web_clock.ms = at(2026, 11, 26, 9, 5)  # inside the late window of the 9:00 slot
    res = await client.post(f"{OFFICE_API}/check-in", json={"code": code, "printer": "kiosk-1"})
    assert res.status_code == 201, res.text
    assert res.json()["call_notice"] == "Số của bạn sẽ được gọi ngay khi có quầy rảnh."
    [(_, job)] = await r.xrange(keys.print_jobs("phuong-ba-dinh", "kiosk-1"))
    text = printed_text("ticket", json.loads(job["data"]))
    assert "\nSố của bạn sẽ được gọi ngay khi có quầy rảnh.\n" in text
