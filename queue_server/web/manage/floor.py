"""The console's overview: the floor as it is now, and a message to the boards.

The page renders the floor once and `static/manage.js` re-renders the same fragment
(`/manage/{office}/floor`) whenever the office's event stream moves, so there is one
renderer for the first view and the live one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from queue_server.office import Office
from queue_server.services.printing import PrintService
from queue_server.services.queue import QueueService
from queue_server.web.manage.console import Console, page
from queue_server.web.manage.forms import Form
from queue_server.web.wiring import services

HOUR_MS = 3_600_000


@dataclass
class FieldFloor:
    code: str
    name: str
    waiting: int = 0
    longest_wait_s: int = 0
    open_counters: int = 0


@dataclass
class Floor:
    fields: list[FieldFloor]
    counters: list[dict[str, Any]]
    calls_last_hour: int
    waiting: int
    open_counters: int
    paused_counters: int
    message: dict[str, Any] | None = None
    calls_by_field: dict[str, int] = field(default_factory=dict)
    # Printers that cannot print now: availability() of each, with `since_label`.
    printers_down: list[dict[str, Any]] = field(default_factory=list)


def since_label(ms: int | None, office: Office, now_ms: int) -> str:
    """A moment as the office's clock shows it: "09:05" today, "09:05 23/11" before."""
    if not ms:
        return "—"
    at = datetime.fromtimestamp(ms / 1000, office.tz)
    today = datetime.fromtimestamp(now_ms / 1000, office.tz).date()
    return f"{at:%H:%M}" if at.date() == today else f"{at:%H:%M %d/%m}"


async def printers_down(
    printing: PrintService | None, office: Office, now_ms: int
) -> list[dict[str, Any]]:
    if printing is None:
        return []
    out = []
    for p in await printing.overview(office.slug):
        state = p["availability"]
        if state["state"] == "offline":
            out.append({**state, "since_label": since_label(state["since"], office, now_ms)})
    return out


async def floor(
    queue: QueueService, office: Office, lang: str, printing: PrintService | None = None
) -> Floor:
    """Waiting per field (and its longest wait), the counters, the calls in the last hour,
    the printers that cannot print."""
    now = queue.clock.now_ms()
    snap = await queue.snapshot(office.slug)
    fields = {
        f.code: FieldFloor(f.code, f.name_vi if lang == "vi" else f.name_en) for f in office.fields
    }
    # A ticket transferred to a counter waits in that counter's lane: it still counts for
    # its field.
    for tickets in snap["lanes"].values():
        for t in tickets:
            target = fields.get(t["field"])
            if target is None:
                continue
            target.waiting += 1
            target.longest_wait_s = max(target.longest_wait_s, (now - t["issued_at"]) // 1000)
    counters = []
    for c in snap["counters"]:
        conf = office.counter(c["number"])
        served = conf.fields if conf else ()
        if c["status"] == "open":
            for code in served:
                if code in fields:
                    fields[code].open_counters += 1
        counters.append({**c, "name": conf.name if conf else str(c["number"]), "fields": served})
    calls = 0
    by_field: dict[str, int] = {}
    for event in await queue.events_since(office.slug, now - HOUR_MS, 100_000):
        if event.type == "ticket.called":
            calls += 1
            code = event.data.get("field", "")
            by_field[code] = by_field.get(code, 0) + 1
    return Floor(
        fields=list(fields.values()),
        counters=counters,
        calls_last_hour=calls,
        waiting=sum(f.waiting for f in fields.values()),
        open_counters=sum(1 for c in counters if c["status"] == "open"),
        paused_counters=sum(1 for c in counters if c["status"] == "paused"),
        message=snap["message"],
        calls_by_field=by_field,
        printers_down=await printers_down(printing, office, now),
    )


async def overview(c: Console) -> Response:
    return await _overview(c, {}, {"minutes": 60})


async def _overview(
    c: Console, errors: dict[str, str], values: dict[str, Any], status: int = 200
) -> Response:
    queue: QueueService = services(c.request).queue
    state = await floor(queue, c.office, c.lang, services(c.request).printing)
    heartbeat = services(c.request).config.server.heartbeat_s
    return c.render(
        "manage_overview.html", "overview",
        {"floor": state, "errors": errors, "values": values, "heartbeat": heartbeat},
        status,
    )  # fmt: skip


async def floor_part(c: Console) -> Response:
    queue: QueueService = services(c.request).queue
    state = await floor(queue, c.office, c.lang, services(c.request).printing)
    return c.render("manage_floor.html", "overview", {"floor": state})


async def send_message(c: Console) -> Response:
    """Puts the message up on the boards (`board.message`); an empty text takes it down."""
    assert c.form is not None
    form = Form(c.form, c.lang)
    text = "" if form.flag("clear") else form.text("text", required=False, max_len=200)
    minutes = form.integer("minutes", 1, 720) if text else 0
    if form.errors:
        return await _overview(c, form.errors, form.values, 400)
    queue: QueueService = services(c.request).queue
    await queue.post_board_message(c.office.slug, text, minutes or 0, c.who.name)
    return c.done("", "sent")


def routes() -> list[BaseRoute]:
    return [
        page("", overview),
        page("/floor", floor_part),
        page("/message", send_message, post=True),
    ]
