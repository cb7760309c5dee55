"""The walk-in gate as citizens meet it: whether the kiosk issues tickets now, and when it
does not, a sentence saying why and when to come back.

The gate itself is a Redis key that the issue script checks (`store/lua/issue.lua`); the
scheduler sets it from the calendar (`rules.calendar.walk_in_gate`) at start-up and at each
boundary. The sentences are chosen here from the same calendar rule, so the kiosk, the
API's 409 and the calendar say the same thing; their words are catalogue texts (`walk_in.*`)
that the web layer writes in the reader's language (`Say`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from queue_server.errors import Conflict, Text
from queue_server.office import Office
from queue_server.rules.calendar import WalkInGate, walk_in_gate

# Catalogue texts to one string in the reader's language (`web.i18n.say`).
Say = Callable[[Sequence[Text]], str]

# The text of each reason; None: the gate is closed while the calendar says open (the
# minute between a boundary and the scheduler's tick).
_REASONS: dict[str | None, str] = {
    "after_stop": "walk_in.after_stop",
    "before_opening": "walk_in.before_opening",
    "day_closed": "walk_in.day_closed",
    None: "walk_in.paused",
}
# What a field's button says while the gate is closed; the banner above says the rest.
FIELD_CLOSED = Text(text_key="walk_in.field_closed")


def local_time(office: Office, now_ms: int) -> datetime:
    return datetime.fromtimestamp(now_ms / 1000, office.tz).replace(tzinfo=None)


def gate_at(office: Office, now_ms: int) -> WalkInGate:
    """The gate the calendar gives at `now_ms`."""
    return walk_in_gate(office.calendar, office.walk_in_stop_minutes, local_time(office, now_ms))


def come_back(gate: WalkInGate, now: datetime) -> Text | None:
    """ "Mời quay lại lúc 7:30 thứ Hai, 08/12." ("hôm nay" when it is today); None when the
    calendar has no next opening."""
    at = gate.next_opening
    if at is None:
        return None
    hm = f"{at.hour}:{at.minute:02d}"
    if at.date() == now.date():
        return Text(text_key="walk_in.come_back_today", params={"time": hm})
    weekday = Text(f"walk_in.weekday.{at.weekday()}")
    return Text(
        text_key="walk_in.come_back",
        params={"time": hm, "weekday": weekday, "day": f"{at:%d/%m}"},
    )


def closed_texts(gate: WalkInGate, now: datetime, still_served: bool = False) -> list[Text]:
    """Why the kiosk issues no ticket now and when it will."""
    texts = [Text(_REASONS[gate.reason])]
    if still_served and gate.reason == "after_stop":
        texts.append(Text(text_key="walk_in.still_served"))
    if (back := come_back(gate, now)) is not None:
        texts.append(back)
    return texts


def walk_in_state(office: Office, is_open: bool, now_ms: int, say: Say) -> dict[str, Any]:
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
        "text": say(closed_texts(gate, now)),
        "next_opening": gate.next_opening.isoformat() if gate.next_opening else None,
    }


def closed_conflict(office: Office, now_ms: int) -> Conflict:
    """The 409 of a walk-in ticket asked for while the gate is closed."""
    now = local_time(office, now_ms)
    gate = gate_at(office, now_ms)
    if gate.open:
        gate = WalkInGate(False)
    first, *more = closed_texts(gate, now, still_served=True)
    return Conflict(
        f"walk-in tickets are closed ({gate.reason})",
        text_key=first.text_key,
        params=first.params,
        more=more,
        code="walk_in_closed",
    )
