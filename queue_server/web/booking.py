"""Appointments on the web: the public booking pages (`/book/{office}`), the kiosk check-in
page, result-pickup slips, and their JSON API.

The booking pages are plain server-rendered forms (a phone on a weak connection needs no
script to book); every input is checked on the server and a problem is shown next to its
field. The booking code is what lets its holder view, move or cancel the booking.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import qrcode
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from printer.documents import format_clock
from printer.layout import layout_to_json
from printer.render import document_layout, preview_image
from queue_server.config import Field, Office
from queue_server.errors import BadRequest, Conflict, NotFound, SothutuError, TooManyRequests
from queue_server.rules.calling import appointment_call_ms
from queue_server.services.appointments import (
    AppointmentService,
    CheckIn,
    InvalidInput,
    validate_citizen,
)
from queue_server.services.auth import require_device_or_role, require_role
from queue_server.store.accounts import Accounts
from queue_server.store.bookings import Booking
from queue_server.web.addresses import public_base
from queue_server.web.errors import language
from queue_server.web.i18n import translate
from queue_server.web.pages import check_csrf, render
from queue_server.web.requests import (
    idempotency_key,
    json_body,
    opt_int,
    opt_str,
    principal,
    req_query,
    req_str,
)

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _svc(request: Request) -> AppointmentService:
    service: AppointmentService = request.app.state.appointments
    return service


def _office(request: Request) -> Office:
    return _svc(request).queue.office(request.path_params["office"])


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _parse_day(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"not a date: {raw!r}", vi=f"Ngày không hợp lệ: {raw!r}.") from None


def _parse_start(raw: str) -> datetime:
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise InvalidInput(
            {"start": ("Vui lòng chọn một khung giờ.", "choose a time slot (YYYY-MM-DDTHH:MM)")}
        ) from None


def day_label(d: date, lang: str) -> str:
    names = WEEKDAYS_EN if lang == "en" else WEEKDAYS_VI
    return f"{names[d.weekday()]}, {d:%d/%m/%Y}"


def booking_view(service: AppointmentService, b: Booking, lang: str) -> dict[str, Any]:
    office = service.queue.office(b.office)
    field = office.field(b.field)
    start = service.to_local(office, b.start)
    end = service.to_local(office, b.end)
    procedure = None
    if b.procedure:
        try:
            procedure = service.procedure(office, b.procedure)[1]
        except NotFound:
            procedure = None
    return {
        **b.to_json(),
        "field_name": (field.name_en if lang == "en" else field.name_vi) if field else b.field,
        "procedure_name": (procedure.name_en if lang == "en" else procedure.name_vi)
        if procedure
        else "",
        "date_label": day_label(start.date(), lang),
        "time_label": f"{start:%H:%M}-{end:%H:%M}" if b.kind != "result" else "",
        "status_label": translate(f"book.status.{b.status}", lang),
    }


# JSON API.


async def api_slots(request: Request) -> Response:
    service = _svc(request)
    office = _office(request)
    field = service.queue.field(office, req_query(request, "field", "HT"))
    day = _parse_day(request.query_params.get("day"))
    if day is None:
        return JSONResponse({"days": [d.isoformat() for d in service.days(office, field)]})
    free = await service.free(office, field, day)
    return JSONResponse({
        "day": day.isoformat(),
        "slots": [
            {"start": f.slot.start.strftime("%Y-%m-%dT%H:%M"),
             "end": f.slot.end.strftime("%Y-%m-%dT%H:%M"), "remaining": f.remaining}
            for f in free
        ],
    })  # fmt: skip


async def api_book(request: Request) -> Response:
    service = _svc(request)
    office = _office(request)
    data = await json_body(request, request.app.state.config.server.max_body_bytes)
    citizen = validate_citizen(
        opt_str(data, "name", 100) or "", opt_str(data, "phone", 20) or "",
        opt_str(data, "cccd", 12) or "", opt_str(data, "email", 200) or "",
    )  # fmt: skip
    await service.limit(office, _client_ip(request), citizen.phone)
    b = await service.book(
        office.slug, req_str(data, "field", 8), opt_str(data, "procedure", 32) or "",
        _parse_start(req_str(data, "start", 16)), citizen,
        idempotency_key=idempotency_key(request),
    )  # fmt: skip
    return JSONResponse(booking_view(service, b, language(request)), 201)


async def api_booking(request: Request) -> Response:
    service = _svc(request)
    b = await service.find(request.path_params["code"], _office(request).slug)
    return JSONResponse(booking_view(service, b, language(request)))


async def api_cancel(request: Request) -> Response:
    service = _svc(request)
    office = _office(request)
    found = await service.find(request.path_params["code"], office.slug)
    by = "citizen"
    if found.kind == "onsite":
        # The staff member's plan, not the citizen's code, decides a visit at an address.
        by = require_role(await principal(request), "staff").name
    b = await service.cancel(office.slug, found.code, by, idempotency_key(request))
    return JSONResponse(booking_view(service, b, language(request)))


async def api_onsite(request: Request) -> Response:
    """Staff book a visit at an address; it blocks the staff member's time."""
    who = require_role(await principal(request), "staff")
    service = _svc(request)
    office = _office(request)
    data = await json_body(request, request.app.state.config.server.max_body_bytes)
    staff = opt_str(data, "staff", 64) or who.name
    if await Accounts(request.app.state.redis).user(staff) is None:
        raise NotFound(f"no staff member {staff!r}", vi=f"Không có cán bộ {staff!r}.")
    minutes = opt_int(data, "minutes", 1, 24 * 60) or 60
    citizen = validate_citizen(opt_str(data, "name", 100) or "", opt_str(data, "phone", 20) or "")
    b = await service.book_onsite(
        office.slug, staff, req_str(data, "field", 8), opt_str(data, "procedure", 32) or "",
        _parse_start(req_str(data, "start", 16)), minutes, req_str(data, "address", 300),
        citizen, idempotency_key(request),
    )  # fmt: skip
    return JSONResponse(booking_view(service, b, language(request)), 201)


async def api_plan(request: Request) -> Response:
    """The day's plan for staff: visits, result pickups and visits at an address."""
    require_role(await principal(request), "staff")
    service = _svc(request)
    office = _office(request)
    day = _parse_day(request.query_params.get("day")) or service.local_now(office).date()
    lang = language(request)
    items = [booking_view(service, b, lang) for b in await service.plan(office.slug, day)]
    return JSONResponse({"day": day.isoformat(), "items": items})


async def api_reschedule(request: Request) -> Response:
    service = _svc(request)
    office = _office(request)
    data = await json_body(request, request.app.state.config.server.max_body_bytes)
    await service.limit(office, _client_ip(request), None)
    b = await service.reschedule(
        office.slug, request.path_params["code"], _parse_start(req_str(data, "start", 16)),
        idempotency_key(request),
    )  # fmt: skip
    return JSONResponse(booking_view(service, b, language(request)))


async def _print_ticket(request: Request, office: Office, result: CheckIn, printer: str) -> None:
    printing = getattr(request.app.state, "printing", None)
    if printing is None or result.placed is None or result.again:
        return
    await printing.print_ticket(
        office.slug, printer, result.placed, requested_by="check-in",
        idempotency_key=f"checkin-print.{result.booking.code}", base=public_base(request),
    )  # fmt: skip


async def api_check_in(request: Request) -> Response:
    """The kiosk's check-in: 201 with the ticket, or 200 with status early/late."""
    service = _svc(request)
    office = _office(request)
    if not office.open_kiosk:
        require_device_or_role(await principal(request), ("kiosk",), "staff", office.slug)
    data = await json_body(request, request.app.state.config.server.max_body_bytes)
    printer = opt_str(data, "printer", 64)
    printing = getattr(request.app.state, "printing", None)
    if printer is not None and printing is not None:
        printing.printer(office.slug, printer)  # an unknown printer: 404 before any ticket
    result = await service.check_in(office.slug, req_str(data, "code", 40))
    lang = language(request)
    body: dict[str, Any] = {
        "status": result.status,
        "again": result.again,
        "booking": {
            k: v
            for k, v in booking_view(service, result.booking, lang).items()
            if k not in ("phone", "history", "ticket")
        },
        "ticket": result.placed.to_json() if result.placed else None,
        "opens_at": None,
    }
    if result.booking.kind == "visit":
        opens = service.to_local(office, result.booking.start) - timedelta(
            minutes=office.appointments.check_in_early_minutes
        )
        body["opens_at"] = f"{opens:%H:%M} {day_label(opens.date(), lang)}"
    if result.placed is not None:
        t = result.placed.ticket
        call_ms = appointment_call_ms(t.due_at, t.issued_at)
        body["call_notice"] = (
            translate("checkin.call_soon", lang)
            if call_ms is None
            else translate("checkin.call_at", lang).format(
                time=format_clock(service.to_local(office, call_ms))
            )
        )
        body["status_url"] = f"/t/{t.id}"
    if result.status == "ok" and printer is not None:
        await _print_ticket(request, office, result, printer)
    return JSONResponse(body, 201 if result.placed and not result.again else 200)


async def api_result(request: Request) -> Response:
    """Staff record the procedure received at a counter: a result-pickup appointment."""
    who = require_role(await principal(request), "staff")
    service = _svc(request)
    data = await json_body(request, request.app.state.config.server.max_body_bytes)
    idempotency_key(request)  # a malformed key is a 400 here too; the pickup's own key is derived
    b = await service.record_result(
        request.path_params["id"], req_str(data, "procedure", 32),
        " ".join((opt_str(data, "name", 100) or "").split()), opt_str(data, "phone", 20) or "",
        who.name,
    )  # fmt: skip
    return JSONResponse(await slip_answer(request, b, data, who.name), 201)


async def api_postpone(request: Request) -> Response:
    """Postpones an open result pickup to `date`, or by `working_days` of the calendar
    counted from the day promised; the slip becomes an apology slip (mẫu 04)."""
    who = require_role(await principal(request), "staff")
    service = _svc(request)
    data = await json_body(request, request.app.state.config.server.max_body_bytes)
    raw_day = opt_str(data, "date", 10)
    new_day = _parse_day(raw_day) if raw_day else None
    # Checked even beside a date (which wins): a wrong value is refused, never ignored.
    days = opt_int(data, "working_days", 1, 60)
    working_days = days if new_day is None else None
    b = await service.postpone_result(
        request.path_params["code"], new_day, opt_str(data, "reason", 300) or "", who.name,
        idempotency_key(request), working_days=working_days,
    )  # fmt: skip
    return JSONResponse(await slip_answer(request, b, data, who.name))


async def api_pickup(request: Request) -> Response:
    """A result pickup found by its dossier code, for the clerk about to postpone it; with
    `?working_days=N`, the day it would move to."""
    require_role(await principal(request), "staff")
    service = _svc(request)
    b = await service.find_pickup(request.path_params["code"])
    lang = language(request)
    answer = booking_view(service, b, lang)
    answer["open"] = b.status == "booked"
    answer["slip_page"] = f"/appointments/{b.code}/slip"
    raw = request.query_params.get("working_days")
    if raw is not None:
        if not raw.isdigit() or not 1 <= int(raw) <= 60:
            raise BadRequest(
                "'working_days' must be a whole number of 1-60",
                vi="Số ngày làm việc hoãn thêm phải từ 1 đến 60.",
            )
        moved = service.postponed_day(b, int(raw))
        answer["postponed_to"] = {"day": moved.isoformat(), "date_label": day_label(moved, lang)}
    return JSONResponse(answer)


async def slip_answer(
    request: Request, b: Booking, data: dict[str, Any], staff: str
) -> dict[str, Any]:
    service = _svc(request)
    answer = booking_view(service, b, language(request))
    answer["slip_url"] = f"/appointments/{b.code}/slip.png"
    answer["slip_page"] = f"/appointments/{b.code}/slip"
    answer["print_job"] = None
    answer["print_status"] = None
    answer["printer_state"] = None
    printer = opt_str(data, "printer", 64)
    printing = getattr(request.app.state, "printing", None)
    if printer and printing is not None:
        kind, slip = await service.slip(b, public_base(request))
        job = await printing.submit(
            b.office, printer, kind, slip, requested_by=staff,
            idempotency_key=f"slip.{b.code}.{b.reschedules}",
        )  # fmt: skip
        answer["print_job"] = job.id
        answer["print_status"], answer["printer_state"] = await printing.after_send(
            b.office, printer, job.id
        )
    return answer


async def slip_png(request: Request) -> Response:
    service = _svc(request)
    b = await service.find(request.path_params["code"])
    if b.kind != "result":
        raise NotFound("no result-pickup slip for this code", vi="Mã này không có phiếu hẹn.")
    image = preview_image(*await service.slip(b, public_base(request)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return Response(
        out.getvalue(), media_type="image/png", headers={"Cache-Control": "private, no-store"}
    )


def _slip_blocks(kind: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The printer's layout of a slip as blocks a page can show: the same lines, in the same
    order, as the printer would print; a QR block carries its image as a data URL."""
    out = []
    for block in layout_to_json(document_layout(kind, data)):
        if block["type"] == "qr":
            qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                               box_size=6)  # fmt: skip
            qr.add_data(block["data"])
            qr.make(fit=True)
            png = io.BytesIO()
            qr.make_image().save(png)
            block["src"] = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
        out.append(block)
    return out


async def slip_page(request: Request) -> Response:
    """The slip on screen, to print on an office printer when the thermal one is down: the
    blocks the thermal printer would print, laid out as a page."""
    service = _svc(request)
    b = await service.find(request.path_params["code"])
    if b.kind != "result":
        raise NotFound("no result-pickup slip for this code", vi="Mã này không có phiếu hẹn.")
    kind, data = await service.slip(b, public_base(request))
    blocks = _slip_blocks(kind, data)
    return render(request, "slip.html", {"code": b.code, "kind": kind, "blocks": blocks})


async def appointment_link(request: Request) -> Response:
    """Where the QR code of a slip leads: the booking's page in its office."""
    b = await _svc(request).find(request.path_params["code"])
    return RedirectResponse(f"/book/{b.office}/{b.code}", 303)


# Pages.


def _field_or_none(office: Office, code: str | None) -> Field | None:
    return office.field(code) if code else None


async def _form_context(
    request: Request, office: Office, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    service = _svc(request)
    lang = language(request)
    field = _field_or_none(office, values.get("field"))
    context: dict[str, Any] = {
        "office": office, "values": values, "errors": errors, "field": field,
        "days": [], "slots": [], "day": None, "procedure": None,
        "keep": urlencode({k: v for k, v in values.items()
                           if v and k in ("field", "procedure", "day")}),
    }  # fmt: skip
    if field is None:
        return context
    context["procedure"] = next(
        (p for p in field.procedures if p.code == values.get("procedure")), None
    )
    context["days"] = [
        {"value": d.isoformat(), "label": day_label(d, lang)} for d in service.days(office, field)
    ]
    day = _parse_day(values.get("day"))
    if day is not None:
        context["day"] = {"value": day.isoformat(), "label": day_label(day, lang)}
        context["slots"] = [
            {"value": f.slot.start.strftime("%Y-%m-%dT%H:%M"),
             "label": f"{f.slot.start:%H:%M}-{f.slot.end:%H:%M}", "remaining": f.remaining}
            for f in await service.free(office, field, day)
        ]  # fmt: skip
    return context


def _errors(exc: SothutuError, lang: str) -> dict[str, str]:
    if isinstance(exc, InvalidInput):
        return {k: (v[1] if lang == "en" else v[0]) for k, v in exc.fields.items()}
    if isinstance(exc, Conflict) and exc.code in ("slot_full", "slot_unavailable"):
        return {"start": exc.text(lang)}
    return {"form": exc.text(lang)}


def _form_values(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {n: str(form.get(n) or "").strip()[:200] for n in names}


async def book_page(request: Request) -> Response:
    lang = language(request)
    try:
        office = _office(request)
    except NotFound as exc:
        context = {"office": None, "error": exc.text(lang), "keep": ""}
        return render(request, "booking.html", context, 404)
    service = _svc(request)
    names = ("field", "procedure", "day", "start", "name", "phone", "cccd", "email")
    if request.method == "GET":
        values = {n: request.query_params.get(n, "")[:200] for n in names}
        try:
            context = await _form_context(request, office, values, {})
        except BadRequest as exc:
            context = await _form_context(request, office, {}, {"form": exc.text(lang)})
        return render(request, "booking.html", context)
    form = await request.form()
    check_csrf(request, str(form.get("csrf") or ""))
    values = _form_values(form, names)
    # Every problem of the form at once, each next to its field.
    problems: dict[str, tuple[str, str]] = {}
    for check in (
        lambda: validate_citizen(values["name"], values["phone"], values["cccd"], values["email"]),
        lambda: _parse_start(values["start"]),
    ):
        try:
            check()
        except InvalidInput as exc:
            problems.update(exc.fields)
    try:
        if problems:
            raise InvalidInput(problems)
        citizen = validate_citizen(values["name"], values["phone"], values["cccd"], values["email"])
        await service.limit(office, _client_ip(request), citizen.phone)
        b = await service.book(
            office.slug, values["field"], values["procedure"], _parse_start(values["start"]),
            citizen,
        )  # fmt: skip
    except TooManyRequests as exc:
        context = await _form_context(request, office, values, {"form": exc.text(lang)})
        return render(request, "booking.html", context, 429)
    except (BadRequest, Conflict, NotFound) as exc:
        context = await _form_context(request, office, values, _errors(exc, lang))
        return render(request, "booking.html", context, 400)
    return RedirectResponse(f"/book/{office.slug}/{b.code}?new=1", 303)


async def _booking_for_page(request: Request) -> tuple[Office, Booking] | Response:
    lang = language(request)
    service = _svc(request)
    try:
        office = _office(request)
        b = await service.find(request.path_params["code"], office.slug)
    except NotFound as exc:
        return render(request, "booking_manage.html", {"office": None, "error": exc.text(lang)},
                      404)  # fmt: skip
    return office, b


async def manage_page(request: Request) -> Response:
    found = await _booking_for_page(request)
    if isinstance(found, Response):
        return found
    office, b = found
    service = _svc(request)
    lang = language(request)
    context: dict[str, Any] = {
        "office": office, "booking": booking_view(service, b, lang),
        "new": request.query_params.get("new") == "1", "errors": {}, "days": [], "slots": [],
        "day": None, "done": request.query_params.get("done", ""),
        "error": request.query_params.get("error", "")[:300],
    }  # fmt: skip
    field = office.field(b.field)
    if b.kind == "visit" and b.status == "booked" and field is not None:
        context["days"] = [
            {"value": d.isoformat(), "label": day_label(d, lang)}
            for d in service.days(office, field)
        ]
        try:
            day = _parse_day(request.query_params.get("day"))
        except BadRequest as exc:
            day, context["error"] = None, exc.text(lang)
        if day is not None:
            context["day"] = {"value": day.isoformat(), "label": day_label(day, lang)}
            context["slots"] = [
                {"value": f.slot.start.strftime("%Y-%m-%dT%H:%M"),
                 "label": f"{f.slot.start:%H:%M}-{f.slot.end:%H:%M}"}
                for f in await service.free(office, field, day)
            ]  # fmt: skip
    response = render(request, "booking_manage.html", context)
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def manage_action(request: Request) -> Response:
    found = await _booking_for_page(request)
    if isinstance(found, Response):
        return found
    office, b = found
    form = await request.form()
    check_csrf(request, str(form.get("csrf") or ""))
    service = _svc(request)
    action = request.url.path.rsplit("/", 1)[-1]
    base = f"/book/{office.slug}/{b.code}"
    try:
        if action == "cancel":
            await service.cancel(office.slug, b.code)
        else:
            await service.limit(office, _client_ip(request), None)
            await service.reschedule(
                office.slug, b.code, _parse_start(str(form.get("start") or ""))
            )
    except SothutuError as exc:
        lang = language(request)
        if isinstance(exc, TooManyRequests):
            return render(request, "booking_manage.html",
                          {"office": None, "error": exc.text(lang)}, 429)  # fmt: skip
        return RedirectResponse(f"{base}?{urlencode({'error': exc.text(lang)})}", 303)
    return RedirectResponse(f"{base}?done={action}", 303)


async def booking_qr(request: Request) -> Response:
    service = _svc(request)
    b = await service.find(request.path_params["code"], _office(request).slug)
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=8)
    # The kiosk's scanner types what the QR holds: the code alone checks in.
    qr.add_data(b.code)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out)
    return Response(out.getvalue(), media_type="image/png",
                    headers={"Cache-Control": "private, max-age=86400"})  # fmt: skip


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics(service: AppointmentService, b: Booking, office: Office, now_ms: int) -> str:
    def stamp(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")

    view = booking_view(service, b, "vi")
    summary = f"Lịch hẹn {view['field_name']} - {office.name}"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//sothutu//booking//VI", "METHOD:PUBLISH",
        "BEGIN:VEVENT", f"UID:{b.code}@{office.slug}.sothutu", f"DTSTAMP:{stamp(now_ms)}",
        f"DTSTART:{stamp(b.start)}", f"DTEND:{stamp(b.end)}",
        f"SUMMARY:{_ics_text(summary)}", f"LOCATION:{_ics_text(office.address or office.name)}",
        f"DESCRIPTION:{_ics_text(f'Mã lịch hẹn: {b.code}. Nhập mã tại máy lấy số khi đến.')}",
        "BEGIN:VALARM", "TRIGGER:-PT1H", "ACTION:DISPLAY", f"DESCRIPTION:{_ics_text(summary)}",
        "END:VALARM", "END:VEVENT", "END:VCALENDAR",
    ]  # fmt: skip
    return "\r\n".join(lines) + "\r\n"


async def booking_ics(request: Request) -> Response:
    service = _svc(request)
    office = _office(request)
    b = await service.find(request.path_params["code"], office.slug)
    return Response(
        ics(service, b, office, service.clock.now_ms()),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="lich-hen-{b.code}.ics"'},
    )


async def check_in_page(request: Request) -> Response:
    lang = language(request)
    try:
        office = _office(request)
    except NotFound as exc:
        return render(request, "checkin.html", {"office": None, "error": exc.text(lang)}, 404)
    fields = {f.code: f.name_en if lang == "en" else f.name_vi for f in office.fields}
    return render(request, "checkin.html", {"office": office, "fields": fields})


def routes() -> list[BaseRoute]:
    o = "/api/v1/offices/{office}"
    return [
        Route(f"{o}/appointments/slots", api_slots),
        Route(f"{o}/appointments", api_book, methods=["POST"]),
        Route(f"{o}/appointments/{{code}}", api_booking),
        Route(f"{o}/appointments/{{code}}/cancel", api_cancel, methods=["POST"]),
        Route(f"{o}/appointments/{{code}}/reschedule", api_reschedule, methods=["POST"]),
        Route(f"{o}/check-in", api_check_in, methods=["POST"]),
        Route(f"{o}/onsite", api_onsite, methods=["POST"]),
        Route(f"{o}/plan", api_plan),
        Route("/api/v1/tickets/{id}/result", api_result, methods=["POST"]),
        Route("/api/v1/appointments/{code}/postpone", api_postpone, methods=["POST"]),
        Route("/api/v1/appointments/{code}/pickup", api_pickup),
        Route("/appointments/{code}", appointment_link),
        Route("/appointments/{code}/slip.png", slip_png),
        Route("/appointments/{code}/slip", slip_page),
        Route("/book/{office}", book_page, methods=["GET", "POST"]),
        Route("/book/{office}/{code}", manage_page),
        Route("/book/{office}/{code}/qr.png", booking_qr),
        Route("/book/{office}/{code}/calendar.ics", booking_ics),
        # One route per action: a catch-all `{action}` served POST on every other page of
        # the booking too (its QR code, its calendar entry), and their 405s could not say so.
        *(
            Route(f"/book/{{office}}/{{code}}/{action}", manage_action, methods=["POST"])
            for action in ("cancel", "reschedule")
        ),
        Route("/kiosk/{office}/check-in", check_in_page),
    ]
