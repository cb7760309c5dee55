"""Staff on site: a visit at an address blocks the staff member's time and is on the plan."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import httpx
import pytest

from queue_server.errors import Conflict
from queue_server.services.appointments import AppointmentService, Citizen, InvalidInput

OFFICE = "phuong-ba-dinh"
BIZ = Citizen("Công ty TNHH Hoa Sen", "02438230000")
ADDRESS = "Số 12 Đội Cấn, phường Ba Đình"


async def test_overlapping_visits_of_one_staff_member_are_refused_even_at_once(
    appointments: AppointmentService,
) -> None:
    starts = [datetime(2026, 11, 25, 9, 0), datetime(2026, 11, 25, 9, 30)]
    results = await asyncio.gather(
        *(appointments.book_onsite(OFFICE, "lan", "CT", "", s, 60, ADDRESS, BIZ) for s in starts),
        return_exceptions=True,
    )
    made = [x for x in results if not isinstance(x, BaseException)]
    refused = [x for x in results if isinstance(x, Conflict)]
    assert len(made) == 1 and len(refused) == 1 and refused[0].code == "staff_busy"
    # Back to back is fine, so is another staff member at the same time.
    after = await appointments.book_onsite(
        OFFICE, "lan", "CT", "", datetime(2026, 11, 25, 10, 30), 30, ADDRESS, BIZ
    )
    other = await appointments.book_onsite(
        OFFICE, "minh", "CT", "", datetime(2026, 11, 25, 9, 0), 60, ADDRESS, BIZ
    )
    assert (after.kind, after.staff, after.address) == ("onsite", "lan", ADDRESS)
    plan = await appointments.plan(OFFICE, date(2026, 11, 25))
    assert [b.start for b in plan] == sorted(b.start for b in plan)
    assert sorted(b.staff for b in plan) == ["lan", "lan", "minh"]
    assert {b.code for b in plan} == {made[0].code, after.code, other.code}
    # Cancelling frees the time.
    await appointments.cancel(OFFICE, made[0].code, "lan")
    again = await appointments.book_onsite(
        OFFICE, "lan", "CT", "", datetime(2026, 11, 25, 9, 30), 60, ADDRESS, BIZ
    )
    assert again.status == "booked"


@pytest.mark.parametrize(
    ("start", "minutes", "address", "error"),
    [
        (datetime(2026, 11, 25, 16, 0), 60, ADDRESS, "outside_hours"),
        (datetime(2026, 11, 28, 9, 0), 60, ADDRESS, "outside_hours"),  # Saturday
        (datetime(2026, 11, 25, 9, 0), 5, ADDRESS, "minutes"),
        (datetime(2026, 11, 25, 9, 0), 60, "x", "address"),
    ],
)
async def test_onsite_visits_are_checked(
    appointments: AppointmentService, start: datetime, minutes: int, address: str, error: str
) -> None:
    with pytest.raises((Conflict, InvalidInput)) as info:
        await appointments.book_onsite(OFFICE, "lan", "CT", "", start, minutes, address, BIZ)
    exc = info.value
    found = next(iter(exc.fields)) if isinstance(exc, InvalidInput) else exc.code
    assert found == error


async def test_onsite_visit_not_checked_in_at_the_kiosk(
    appointments: AppointmentService,
) -> None:
    b = await appointments.book_onsite(
        OFFICE, "lan", "CT", "", datetime(2026, 11, 25, 9, 0), 60, ADDRESS, BIZ
    )
    with pytest.raises(Conflict):
        await appointments.check_in(OFFICE, b.code)


async def test_onsite_over_the_api(http: httpx.AsyncClient, staff: dict[str, str]) -> None:
    body = {"field": "CT", "start": "2030-01-08T09:00", "minutes": 90, "address": ADDRESS,
            "name": BIZ.name, "phone": BIZ.phone}  # fmt: skip
    o = "/api/v1/offices/phuong-ba-dinh"
    assert (await http.post(f"{o}/onsite", json=body)).status_code == 401
    made = await http.post(f"{o}/onsite", json=body, headers=staff)
    assert made.status_code == 201, made.text
    assert made.json()["staff"] == "lan" and made.json()["time_label"] == "09:00-10:30"
    busy = await http.post(f"{o}/onsite", json={**body, "start": "2030-01-08T10:00"},
                           headers=staff)  # fmt: skip
    assert busy.status_code == 409
    assert busy.json()["error"]["message"] == (
        "Cán bộ này đã có lịch làm việc tại chỗ trùng thời gian."
    )
    nobody = await http.post(f"{o}/onsite", json={**body, "staff": "ghost"}, headers=staff)
    assert nobody.status_code == 404
    plan = (await http.get(f"{o}/plan?day=2030-01-08", headers=staff)).json()
    assert [(i["kind"], i["address"]) for i in plan["items"]] == [("onsite", ADDRESS)]
    code = made.json()["code"]
    assert (await http.post(f"{o}/appointments/{code}/cancel")).status_code == 401
    done = await http.post(f"{o}/appointments/{code}/cancel", headers=staff)
    assert done.json()["status"] == "cancelled"
    assert (await http.get(f"{o}/plan?day=2030-01-08", headers=staff)).json()["items"] == []
