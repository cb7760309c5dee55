"""The console's result pickups: find one by its dossier code, postpone it by working days
with the reason, and print the apology slip (mẫu 04, "phiếu xin lỗi và hẹn lại ngày trả kết
quả") or open it on screen; a slip waiting for an offline printer can be cancelled.

The postponing form carries a key made when it was shown, sent as the request's idempotency
key: a form sent twice (a double click, a reload) postpones once.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from queue_server.errors import SothutuError
from queue_server.services.appointments import AppointmentService, Booking
from queue_server.services.printing import PrintService
from queue_server.web.api.appointments import booking_view, day_label, slip_answer
from queue_server.web.api.printers import JOB_ID_RE
from queue_server.web.i18n import error_text
from queue_server.web.manage.console import Console, page
from queue_server.web.manage.floor import since_label
from queue_server.web.manage.forms import Form
from queue_server.web.wiring import services

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _services(c: Console) -> tuple[AppointmentService, PrintService]:
    return services(c.request).appointments, services(c.request).printing


def _view(c: Console, b: Booking) -> dict[str, Any]:
    service, _ = _services(c)
    view = booking_view(service, b, c.lang)
    view["open"] = b.status == "booked"
    return view


def _form(
    c: Console,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    found: dict[str, Any] | None = None,
    done: dict[str, Any] | None = None,
) -> Response:
    values = {"working_days": 1, **values, "key": secrets.token_urlsafe(12)}
    return c.render(
        "manage_pickups.html", "pickups",
        {"values": values, "errors": errors, "found": found, "done": done,
         "printers": [p.name for p in c.office.printers]},
        status,
    )  # fmt: skip


async def pickups_page(c: Console) -> Response:
    return await _found(c, c.request.query_params.get("code", "").strip()[:40])


async def _found(c: Console, code: str, cancelled: bool = False) -> Response:
    if not code:
        return _form(c, {}, {})
    service, _ = _services(c)
    try:
        b = await service.find_pickup(code, c.office.slug)
    except SothutuError as exc:
        return _form(c, {"code": code}, {"code": error_text(exc, c.lang)}, exc.status)
    found = _view(c, b)
    found["cancelled"] = cancelled
    if b.status == "booked":
        moved = service.postponed_day(b, 1)
        found["postponed_to"] = day_label(moved, c.lang)
    return _form(c, {"code": b.code}, {}, found=found)


async def postpone(c: Console) -> Response:
    assert c.form is not None
    form = Form(c.form, c.lang)
    code = form.text("code", max_len=40)
    days = form.integer("working_days", 1, 60)
    reason = form.text("reason", max_len=300)
    printer = form.choice("printer", ["", *(p.name for p in c.office.printers)])
    key = form.raw("key")
    service, _ = _services(c)
    found = None
    if code and "code" not in form.errors:
        try:
            found = _view(c, await service.find_pickup(code, c.office.slug))
        except SothutuError as exc:
            form.errors["code"] = error_text(exc, c.lang)
    if form.errors:
        return _form(c, form.values, form.errors, 400, found)
    try:
        b = await service.postpone_result(
            code, None, reason, c.who.name, key if KEY_RE.match(key) else None,
            working_days=days, slug=c.office.slug,
        )  # fmt: skip
        answer = await slip_answer(c.request, b, {"printer": printer} if printer else {},
                                   c.who.name)  # fmt: skip
    except SothutuError as exc:
        return _form(c, form.values, {"": error_text(exc, c.lang)}, exc.status, found)
    return _form(c, {}, {}, done=_outcome(c, answer, printer))


def _outcome(c: Console, answer: dict[str, Any], printer: str) -> dict[str, Any]:
    """What became of the apology slip, in the words the counter page uses."""
    state = answer.get("printer_state") or {}
    status = answer.get("print_status")
    if not printer:
        kind = "none"
    elif status == "printed":
        kind = "printed"
    elif state.get("state") == "offline":
        kind = "offline"
    else:
        kind = "sending"
    now = services(c.request).printing.clock.now_ms()
    return {
        **answer,
        "printer": printer,
        "outcome": kind,
        "since_label": since_label(state.get("since"), c.office, now),
    }


async def cancel_print(c: Console) -> Response:
    """Cancels the apology slip waiting for an offline printer (refused once it is on the
    wire or printed, and the page says so)."""
    assert c.form is not None
    form = Form(c.form, c.lang)
    printer = form.choice("printer", [p.name for p in c.office.printers])
    job = form.pattern("job", JOB_ID_RE, "manage.err.choice")
    code = form.text("code", max_len=40)
    if form.errors:
        return _form(c, {"code": code}, {"": c.t("manage.pickups.cancel_failed")}, 400)
    _, printing = _services(c)
    try:
        await printing.clear(c.office.slug, printer, job, c.who.name, None)
    except SothutuError as exc:
        return _form(c, {"code": code}, {"": error_text(exc, c.lang)}, exc.status)
    return await _found(c, code, cancelled=True)


def routes() -> list[BaseRoute]:
    return [
        page("/pickups", pickups_page),
        page("/pickups/postpone", postpone, post=True),
        page("/pickups/cancel-print", cancel_print, post=True),
    ]
