"""Opening hours, days off and appointment rules in the console."""

from __future__ import annotations

import re
from typing import Any

from queue_server.store import keys
from tests.manage.test_settings import error_for
from tests.support.console import OFFICE, Session

BASE = f"/manage/{OFFICE}"


def form_of(page: str) -> dict[str, str]:
    """The values a browser would submit from the page's inputs and textareas."""
    data = {
        m[1]: m[2]
        for m in re.finditer(
            r'<input type="(?!checkbox)[^"]+" name="([^"]+)" value="([^"]*)"', page
        )
    }
    data.update(
        {
            m[1]: m[2]
            for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
        }
    )
    data.update(
        {m[1]: m[2] for m in re.finditer(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', page)}
    )
    data.pop("csrf", None)
    return data


async def test_hours_swaps_and_days_off_are_saved(manager: Session) -> None:
    page = await manager.get(f"{BASE}/calendar")
    assert page.status_code == 200 and "Giỗ Tổ Hùng Vương" in page.text
    form = form_of(page.text)
    assert (
        form["season_from_0"] == "16/10" and form["season_weekdays_0"] == "07:30–12:00, 13:00–16:30"
    )
    form.update({
        "season_weekdays_0": "07:30-11:30, 13:30-17:00", "season_saturday_0": "7:30-11:30",
        "extra_days_off": "15/06/2026\n2026-06-16", "cutoff": "16:00",
        "swap_off_3": "27/04/2026", "swap_on_3": "18/04/2026", "swap_note_3": "Giỗ Tổ",
    })  # fmt: skip
    res = await manager.post(f"{BASE}/calendar/save", form)
    assert res.status_code == 303, error_for(res.text, "")
    page = await manager.get(f"{BASE}/calendar")
    form = form_of(page.text)
    assert form["season_weekdays_0"] == "07:30–11:30, 13:30–17:00"
    assert form["season_saturday_0"] == "07:30–11:30"
    assert form["extra_days_off"] == "15/06/2026\n16/06/2026"
    assert form["swap_note_3"] == "Giỗ Tổ" and form["cutoff"] == "16:00"


async def test_bad_hours_are_shown_inline_and_nothing_is_saved(manager: Session, r: Any) -> None:
    form = form_of((await manager.get(f"{BASE}/calendar")).text)
    form.update(
        {"season_weekdays_1": "sáng 7h", "season_to_0": "31/02", "extra_days_off": "30/02/2026"}
    )
    res = await manager.post(f"{BASE}/calendar/save", form)
    assert res.status_code == 400
    assert error_for(res.text, "season_weekdays_1") == "Ghi các buổi dạng 07:30–12:00, 13:00–16:30."
    assert error_for(res.text, "season_to_0") == "Ghi ngày/tháng, ví dụ 16/10."
    assert error_for(res.text, "extra_days_off") == "Ngày không hợp lệ; ghi dạng 02/01/2026."
    # Sessions out of order: only the calendar rules see it; the message lands on the input.
    form = form_of((await manager.get(f"{BASE}/calendar")).text)
    form["season_weekdays_1"] = "13:00-17:00, 07:00-11:30"
    res = await manager.post(f"{BASE}/calendar/save", form)
    assert res.status_code == 400
    assert error_for(res.text, "season_weekdays_1") is not None
    assert await r.get(keys.office_config(OFFICE)) is None


async def test_appointment_capacity(manager: Session) -> None:
    form = form_of((await manager.get(f"{BASE}/appointments")).text)
    assert form["walk_in_percent"] == "30" and form["capacity"] == ""
    form.update({"capacity": "4", "walk_in_percent": "25", "slot_minutes": "20"})
    assert (await manager.post(f"{BASE}/appointments/save", form)).status_code == 303
    form = form_of((await manager.get(f"{BASE}/appointments")).text)
    assert (form["capacity"], form["walk_in_percent"], form["slot_minutes"]) == ("4", "25", "20")
    res = await manager.post(f"{BASE}/appointments/save", {**form, "reminder_hour": "24"})
    assert error_for(res.text, "reminder_hour") == "Phải từ 0 đến 23."
