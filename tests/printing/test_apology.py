"""Result pickups after the ticket is finished, and postponed by working days with the
apology slip (mẫu 04) printed: the HTTP answers and the bytes the printer received."""

from __future__ import annotations

from datetime import date

import httpx

from queue_server.rules.calendar import working_days_after
from tests.printer.escpos_stream import decode
from tests.printer.fakeprinter import FakePrinter
from tests.printing.conftest import OFFICE, FixedPortServer
from tests.printing.test_printer_state import serving, slips_printed

API = f"/api/v1/offices/{OFFICE}"


async def test_a_finished_ticket_is_listed_and_still_gets_its_pickup_slip(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    ticket = await serving(client, staff)
    done = await client.post(f"/api/v1/tickets/{ticket['id']}/finish", json={"counter": 1},
                             headers=staff)  # fmt: skip
    assert done.status_code == 200, done.text
    served = await client.get(f"{API}/counters/1/served", headers=staff)
    assert served.status_code == 200
    [row] = served.json()["tickets"]
    assert (row["id"], row["number"], row["field"]) == (ticket["id"], ticket["number"], "HT")
    assert (await client.get(f"{API}/counters/2/served", headers=staff)).json()["tickets"] == []
    assert (await client.get(f"{API}/counters/1/served")).status_code == 401
    made = await client.post(
        f"/api/v1/tickets/{ticket['id']}/result", json={"procedure": "1.004873"}, headers=staff
    )
    assert made.status_code == 201, made.text


async def test_postponed_by_working_days_with_the_apology_slip_printed(
    client: httpx.AsyncClient,
    fake_printer: FakePrinter,
    staff: dict[str, str],
    print_server: FixedPortServer,
) -> None:
    ticket = await serving(client, staff)
    made = await client.post(
        f"/api/v1/tickets/{ticket['id']}/result",
        json={"procedure": "1.004873", "name": "Nguyễn Thị Hoa"},
        headers=staff,
    )
    assert made.status_code == 201, made.text
    code, due = made.json()["code"], date.fromisoformat(made.json()["day"])
    calendar = print_server.config.offices[0].calendar
    expected = working_days_after(calendar, due, 3)

    found = await client.get(f"/api/v1/appointments/{code}/pickup?working_days=3", headers=staff)
    assert found.status_code == 200, found.text
    assert found.json()["open"] is True
    assert found.json()["postponed_to"]["day"] == expected.isoformat()
    bad = await client.get(f"/api/v1/appointments/{code}/pickup?working_days=0", headers=staff)
    assert bad.status_code == 400

    url = f"/api/v1/appointments/{code}/postpone"
    no_reason = await client.post(url, json={"working_days": 3, "reason": " "}, headers=staff)
    assert no_reason.status_code == 400
    assert no_reason.json()["error"]["message"] == "Vui lòng ghi lý do chậm trả kết quả."
    too_many = await client.post(url, json={"working_days": 61, "reason": "x"}, headers=staff)
    assert too_many.status_code == 400
    assert (await client.get(f"{API}/appointments/{code}")).json()["day"] == due.isoformat()

    reason = "Chờ kết quả xác minh của UBND xã nơi cư trú trước đây"
    late = await client.post(
        url, json={"working_days": 3, "reason": reason, "printer": "quay-1"}, headers=staff
    )
    assert late.status_code == 200, late.text
    body = late.json()
    assert body["day"] == expected.isoformat() and body["reschedules"] == 1
    assert body["print_status"] == "printed" and body["printer_state"]["state"] == "online"
    assert body["slip_page"] == f"/appointments/{code}/slip"
    fake_printer.wait_idle()
    [lines] = slips_printed(fake_printer)
    text = " ".join(lines)
    assert "PHIẾU XIN LỖI" in text and "VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert code in text and "Nguyễn Thị Hoa" in text
    assert "Chờ kết quả xác minh" in text
    assert f"{expected:%d/%m/%Y}" in text
    # The page on screen is the same slip.
    page = await client.get(body["slip_page"])
    assert page.status_code == 200 and "PHIẾU XIN LỖI" in page.text and reason in page.text
    assert decode(fake_printer.connections[-1]).cuts


async def test_a_pickup_is_found_by_its_code_by_staff_only(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    missing = await client.get("/api/v1/appointments/ABCDEFGH/pickup", headers=staff)
    assert missing.status_code == 404
    assert "Không tìm thấy lịch hẹn" in missing.json()["error"]["message"]
    ticket = await serving(client, staff)
    made = await client.post(
        f"/api/v1/tickets/{ticket['id']}/result", json={"procedure": "1.004873"}, headers=staff
    )
    code = made.json()["code"]
    anonymous = await client.get(f"/api/v1/appointments/{code}/pickup")
    assert anonymous.status_code == 401
    found = await client.get(f"/api/v1/appointments/{code.lower()}/pickup", headers=staff)
    assert found.status_code == 200 and found.json()["open"] is True
    assert "postponed_to" not in found.json()
