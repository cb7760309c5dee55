"""Result-pickup dates (hẹn trả kết quả) for a table of procedures and receipt times, and
postponing a late result."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

import pytest

from printer.layout import Text
from printer.render import document_layout
from queue_server.config import Config
from queue_server.errors import BadRequest, Conflict
from queue_server.services.appointments import AppointmentService, InvalidInput
from queue_server.services.clock import FixedClock
from queue_server.web.i18n import error_text

OFFICE = "phuong-ba-dinh"


@pytest.mark.parametrize(
    ("procedure", "received", "result"),
    [
        # Marital status confirmation: 2 working days.
        ("1.004873", datetime(2025, 12, 1, 10, 0), date(2025, 12, 3)),
        ("1.004873", datetime(2025, 12, 5, 14, 59), date(2025, 12, 9)),
        ("1.004873", datetime(2025, 12, 5, 15, 0), date(2025, 12, 10)),  # at the cut-off
        ("1.004873", datetime(2025, 12, 31, 16, 0), date(2026, 1, 7)),  # 1-4/1/2026 off
        ("1.004873", datetime(2026, 1, 9, 10, 0), date(2026, 1, 12)),  # Sat 10/01 worked
        ("1.004873", datetime(2025, 4, 29, 14, 0), date(2025, 5, 6)),  # 30/4-2/5/2025
        # First land-use certificate: 20 working days, across Tết 2026 (14-22/02).
        ("1.012755", datetime(2026, 2, 2, 9, 0), date(2026, 3, 9)),
        ("1.012755", datetime(2026, 2, 13, 15, 30), date(2026, 3, 23)),
        # Monthly social allowance: 7 working days.
        ("1.001776", datetime(2026, 2, 11, 9, 0), date(2026, 2, 27)),
        # "Không chờ": the same day, even after the cut-off.
        ("1.000656", datetime(2026, 2, 11, 16, 0), date(2026, 2, 11)),
        ("2.000815", datetime(2026, 2, 11, 9, 0), date(2026, 2, 11)),
        # Legal time 0 but not "không chờ": the receipt day, after the cut-off the next one.
        ("1.000894", datetime(2026, 2, 13, 15, 30), date(2026, 2, 23)),
    ],
)
def test_result_dates(
    appointments: AppointmentService, procedure: str, received: datetime, result: date
) -> None:
    office = appointments.queue.office(OFFICE)
    _, proc = appointments.procedure(office, procedure)
    assert appointments.result_date(office, proc, received) == result


async def served_ticket(appointments: AppointmentService) -> str:
    queue = appointments.queue
    await queue.counter_action(OFFICE, 4, "open", "lan")
    placed = await queue.issue(OFFICE, "DD")
    await queue.call_next(OFFICE, 4)
    await queue.step(placed.ticket.id, "start")
    return placed.ticket.id


async def test_result_pickup_recorded_then_postponed_with_apology(
    appointments: AppointmentService, clock: FixedClock, cap3: Config, r: Any
) -> None:
    office = appointments.queue.office(OFFICE)
    clock.ms = appointments.to_ms(office, datetime(2026, 2, 2, 9, 0))
    ticket_id = await served_ticket(appointments)
    who = ("Phạm Thị D", "0944444444", "lan")
    b = await appointments.record_result(ticket_id, "1.012755", *who)
    assert (b.kind, b.day, b.status) == ("result", "2026-03-09", "booked")
    again = await appointments.record_result(ticket_id, "1.012755", *who)
    assert again.code == b.code  # a double click records one pickup
    slip = appointments.slip_data(b)
    assert appointments.slip_kind(b) == "result"
    assert slip["when"].startswith("2026-03-09T07:30")
    assert slip["place"].startswith("Quầy 4, 5")

    with pytest.raises(BadRequest):
        await appointments.postpone_result(b.code, date(2026, 3, 14), "thiếu xác minh", "lan")
    with pytest.raises(Conflict):
        await appointments.postpone_result(b.code, date(2026, 3, 6), "thiếu xác minh", "lan")
    moved = await appointments.postpone_result(
        b.code, date(2026, 3, 16), "Chờ kết quả đo đạc thửa đất", "lan"
    )
    assert moved.day == "2026-03-16" and moved.reschedules == 1
    assert moved.history[-1] == {
        "at": clock.ms, "action": "postponed", "from": "2026-03-09", "to": "2026-03-16",
        "reason": "Chờ kết quả đo đạc thửa đất", "by": "lan",
    }  # fmt: skip
    # The slip is now the apology slip, its own printer document.
    assert appointments.slip_kind(moved) == "apology"
    slip = appointments.slip_data(moved)
    assert slip["due"] == "2026-03-09" and slip["when"].startswith("2026-03-16T07:30")
    assert slip["reason"] == "Chờ kết quả đo đạc thửa đất" and slip["staff"] == "lan"
    assert slip["issued_at"] == "2026-02-02T09:00:00" and slip["bilingual"] is False
    texts = [t.text for t in document_layout("apology", slip) if isinstance(t, Text)]
    assert "PHIẾU XIN LỖI" in texts and "09/03/2026" in texts
    assert "Kính gửi ông/bà Phạm Thị D," in texts
    # An office that prints bilingual (a manager's change, live) gets English on it.
    registry = appointments.queue.offices
    table = copy.deepcopy(dict(office.raw))
    await registry.save_table(OFFICE, {**table, "print_bilingual": True}, "hoa")
    slip = appointments.slip_data(moved)
    assert slip["bilingual"] is True
    texts = [t.text for t in document_layout("apology", slip) if isinstance(t, Text)]
    assert "APOLOGY AND NEW DATE FOR YOUR RESULT" in texts

    # On the pickup day the code checks the citizen in for the return counter; not before.
    clock.ms = appointments.to_ms(office, datetime(2026, 3, 13, 9, 0))
    assert (await appointments.check_in(OFFICE, b.code)).status == "early"
    clock.ms = appointments.to_ms(office, datetime(2026, 3, 16, 14, 0))
    done = await appointments.check_in(OFFICE, b.code)
    assert done.status == "ok" and done.placed is not None
    assert (done.placed.ticket.field, done.placed.ticket.klass) == ("DD", "appointment")
    # Collected: no longer open, so no longer postponed.
    with pytest.raises(Conflict) as refused:
        await appointments.postpone_result(b.code, None, "x", "lan", working_days=1)
    assert refused.value.code == "invalid_state"


@pytest.mark.parametrize(
    ("today", "days", "expected"),
    [
        # Promised for Monday 9/3/2026: counted from it while it is ahead...
        (datetime(2026, 3, 2, 9, 0), 1, "2026-03-10"),
        (datetime(2026, 3, 2, 9, 0), 5, "2026-03-16"),
        # ...and from today once it is past (a late result is not moved into the past).
        (datetime(2026, 3, 12, 9, 0), 1, "2026-03-13"),
        (datetime(2026, 3, 13, 9, 0), 1, "2026-03-16"),
    ],
)
async def test_postponed_by_working_days(
    appointments: AppointmentService, clock: FixedClock, today: datetime, days: int,
    expected: str,
) -> None:  # fmt: skip
    office = appointments.queue.office(OFFICE)
    clock.ms = appointments.to_ms(office, datetime(2026, 2, 2, 9, 0))
    b = await appointments.record_result(await served_ticket(appointments), "1.012755", "D", "",
                                         "lan")  # fmt: skip
    assert b.day == "2026-03-09"
    clock.ms = appointments.to_ms(office, today)
    with pytest.raises(InvalidInput):
        await appointments.postpone_result(b.code, None, "  ", "lan", working_days=days)
    with pytest.raises(InvalidInput):
        await appointments.postpone_result(b.code, None, "Chờ đo đạc", "lan", working_days=0)
    moved = await appointments.postpone_result(b.code, None, "Chờ đo đạc", "lan",
                                               working_days=days)  # fmt: skip
    assert moved.day == expected and moved.reason == "Chờ đo đạc"


async def test_a_waiting_ticket_gets_no_result_appointment(
    appointments: AppointmentService,
) -> None:
    placed = await appointments.queue.issue(OFFICE, "DD")
    with pytest.raises(Conflict):
        await appointments.record_result(placed.ticket.id, "1.012755", "A", "0944444444", "lan")


async def test_a_counter_records_only_the_procedures_it_handles(
    appointments: AppointmentService, clock: FixedClock
) -> None:
    """Counter 5 serves LD, TP and DD. A civil-status (HT) ticket sent to it: procedures of
    HT (the ticket's field) and of the counter's fields are recorded, CT's are refused."""
    queue = appointments.queue
    office = queue.office(OFFICE)
    clock.ms = appointments.to_ms(office, datetime(2026, 2, 2, 9, 0))
    await queue.counter_action(OFFICE, 5, "open", "lan")
    placed = await queue.issue(OFFICE, "HT")
    await queue.transfer(placed.ticket.id, None, 5)
    await queue.call_next(OFFICE, 5)
    await queue.step(placed.ticket.id, "start")
    who = ("Trần Văn G", "", "lan")
    own = await appointments.record_result(placed.ticket.id, "1.004873", *who)  # HT, 2 days
    land = await appointments.record_result(placed.ticket.id, "1.012766", *who)  # DD, 10 days
    assert (own.field, own.day) == ("HT", "2026-02-04")
    assert (land.field, land.day) == ("DD", "2026-02-23")  # Tết 2026: 14-22/02 off
    with pytest.raises(BadRequest) as refused:
        await appointments.record_result(placed.ticket.id, "2.001035", *who)  # CT
    assert refused.value.code == "wrong_procedure"
    number = placed.ticket.number
    assert error_text(refused.value, "vi") == (
        "Thủ tục 2.001035 “Chứng thực hợp đồng, giao dịch” thuộc lĩnh vực Chứng thực, không"
        f" phải lĩnh vực của số {number} và Quầy 5 không phục vụ lĩnh vực này."
    )
    assert error_text(refused.value, "en") == (
        "procedure 2.001035 (Certification of contracts) is of the field Certification (CT),"
        f" which is not the field of ticket {number} and is not served at counter 5"
    )
    # Once finished, the same rule; nothing was recorded for the refused procedure.
    await queue.step(placed.ticket.id, "finish")
    with pytest.raises(BadRequest):
        await appointments.record_result(placed.ticket.id, "2.000815", *who)
    day = await appointments.store.day_codes(OFFICE, "2026-02-04")
    later = await appointments.store.day_codes(OFFICE, "2026-02-23")
    assert (list(day), list(later)) == ([own.code], [land.code])


async def test_a_result_phone_is_checked_like_a_bookings(appointments: AppointmentService) -> None:
    ticket_id = await served_ticket(appointments)
    with pytest.raises(InvalidInput) as refused:
        await appointments.record_result(ticket_id, "1.012755", "Phạm Thị D", "09123", "lan")
    assert "Số điện thoại không hợp lệ" in error_text(refused.value, "vi")
    made = await appointments.record_result(ticket_id, "1.012755", "", "+84 944 444 444", "lan")
    assert (made.phone, made.name) == ("0944444444", "")
