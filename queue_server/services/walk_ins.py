"""The walk-in gate as citizens meet it: whether the kiosk issues tickets now, and when it
does not, a sentence saying why and when to come back.

The gate itself is a Redis key that the issue script checks (`store/lua/issue.lua`); the
scheduler sets it from the calendar (`rules.calendar.walk_in_gate`) at start-up and at each
boundary. The sentences are built here from the same calendar rule, so the kiosk, the API's
409 and the calendar say the same thing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server.errors import Conflict
from queue_server.office import Office
from queue_server.rules.calendar import WalkInGate, walk_in_gate

_WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# (vi, en) per reason; None: the gate is closed while the calendar says open (the minute
# between a boundary and the scheduler's tick).
_REASONS: dict[str | None, tuple[str, str]] = {
    "after_stop": ("Đã hết giờ lấy số hôm nay.", "No more tickets are issued today."),
    "before_opening": ("Chưa đến giờ lấy số.", "Tickets are not issued yet."),
    "day_closed": ("Hôm nay không làm việc.", "The office is closed today."),
    None: ("Đang tạm dừng lấy số.", "Tickets are not issued at the moment."),
}
_STILL_SERVED = ("Các số đã cấp vẫn được phục vụ.", "Tickets already issued are still served.")
# What a field's button says while the gate is closed; the banner above says the rest.
FIELD_CLOSED = ("Ngoài giờ lấy số", "Outside ticket hours")


def local_time(office: Office, now_ms: int) -> datetime:
    return datetime.fromtimestamp(now_ms / 1000, office.tz).replace(tzinfo=None)


def gate_at(office: Office, now_ms: int) -> WalkInGate:
    """The gate the calendar gives at `now_ms`."""
    return walk_in_gate(office.calendar, office.walk_in_stop_minutes, local_time(office, now_ms))


def come_back(gate: WalkInGate, now: datetime, lang: str) -> str:
    """ "Mời quay lại lúc 7:30 thứ Hai, 08/12." ("hôm nay" when it is today); empty when the
    calendar has no next opening."""
    at = gate.next_opening
    if at is None:
        return ""
    hm = f"{at.hour}:{at.minute:02d}"
    if lang == "en":
        day = "today" if at.date() == now.date() else f"on {_WEEKDAYS_EN[at.weekday()]}, {at:%d/%m}"
        return f"Please come back at {hm} {day}."
    day = "hôm nay" if at.date() == now.date() else f"{_WEEKDAYS_VI[at.weekday()]}, {at:%d/%m}"
    return f"Mời quay lại lúc {hm} {day}."


def closed_text(gate: WalkInGate, now: datetime, lang: str, still_served: bool = False) -> str:
    """Why the kiosk issues no ticket now and when it will, in the reader's language."""
    en = lang == "en"
    parts = [_REASONS[gate.reason][en]]
    if still_served and gate.reason == "after_stop":
        parts.append(_STILL_SERVED[en])
    parts.append(come_back(gate, now, lang))
    return " ".join(p for p in parts if p)


def walk_in_state(office: Office, is_open: bool, now_ms: int, lang: str) -> dict[str, Any]:
    """The overview's `walk_in` object. `is_open` is the stored gate (what the issue script
    will do); the calendar gives the reason and the next opening."""
    if is_open:
        return {"open": True, "reason": None, "text": None, "next_opening": None}
    now = local_time(office, now_ms)
    gate = gate_at(office, now_ms)
    if gate.open:  # stored closed, calendar open: a boundary the scheduler has not seen yet
        gate = WalkInGate(False)
    return {
        "open": False,
        "reason": gate.reason,
        "text": closed_text(gate, now, lang),
        "next_opening": gate.next_opening.isoformat() if gate.next_opening else None,
    }


def closed_conflict(office: Office, now_ms: int) -> Conflict:
    """The 409 of a walk-in ticket asked for while the gate is closed."""
    now = local_time(office, now_ms)
    gate = gate_at(office, now_ms)
    if gate.open:
        gate = WalkInGate(False)
    return Conflict(
        closed_text(gate, now, "en", still_served=True),
        vi=closed_text(gate, now, "vi", still_served=True),
        code="walk_in_closed",
    )
