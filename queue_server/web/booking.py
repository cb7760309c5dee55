"""Appointments on the web: the public booking pages (`/book/{office}`), the kiosk check-in
page, result-pickup slips, and their JSON API.

The booking pages are plain server-rendered forms (a phone on a weak connection needs no
script to book); every input is checked on the server and a problem is shown next to its
field. The booking code is what lets its holder view, move or cancel the booking.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import qrcode
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from printer import document_layout, layout_to_json, preview_image
from queue_server.errors import BadRequest, Conflict, NotFound, SothutuError, Text, TooManyRequests
from queue_server.office import Field, Office
from queue_server.services.appointments import (
    AppointmentService,
    Booking,
    InvalidInput,
    validate_citizen,
)
from queue_server.web.api.appointments import booking_view, day_label, parse_day, parse_start
from queue_server.web.http.addresses import public_base
from queue_server.web.http.errors import language
from queue_server.web.http.requests import client_ip, path_office
from queue_server.web.http.templates import check_csrf, render
from queue_server.web.i18n import error_text, fill
from queue_server.web.wiring import services

# JSON API.


async def slip_png(request: Request) -> Response:
    service = services(request).appointments
    b = await service.find(request.path_params["code"])
    if b.kind != "result":
        raise NotFound(text_key="error.booking.no_slip")
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
    service = services(request).appointments
    b = await service.find(request.path_params["code"])
    if b.kind != "result":
        raise NotFound(text_key="error.booking.no_slip")
    kind, data = await service.slip(b, public_base(request))
    blocks = _slip_blocks(kind, data)
    return render(request, "slip.html", {"code": b.code, "kind": kind, "blocks": blocks})


async def appointment_link(request: Request) -> Response:
    """Where the QR code of a slip leads: the booking's page in its office."""
    b = await services(request).appointments.find(request.path_params["code"])
    return RedirectResponse(f"/book/{b.office}/{b.code}", 303)


# Pages.


def _field_or_none(office: Office, code: str | None) -> Field | None:
    return office.field(code) if code else None


async def _form_context(
    request: Request, office: Office, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    service = services(request).appointments
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
    day = parse_day(values.get("day"))
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
        return {k: fill(v, lang) for k, v in exc.fields.items()}
    if isinstance(exc, Conflict) and exc.code in ("slot_full", "slot_unavailable"):
        return {"start": error_text(exc, lang)}
    return {"form": error_text(exc, lang)}


def _form_values(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {n: str(form.get(n) or "").strip()[:200] for n in names}


async def book_page(request: Request) -> Response:
    lang = language(request)
    try:
        office = path_office(request)
    except NotFound as exc:
        context = {"office": None, "error": error_text(exc, lang), "keep": ""}
        return render(request, "booking.html", context, 404)
    service = services(request).appointments
    names = ("field", "procedure", "day", "start", "name", "phone", "cccd", "email")
    if request.method == "GET":
        values = {n: request.query_params.get(n, "")[:200] for n in names}
        try:
            context = await _form_context(request, office, values, {})
        except BadRequest as exc:
            context = await _form_context(request, office, {}, {"form": error_text(exc, lang)})
        return render(request, "booking.html", context)
    form = await request.form()
    check_csrf(request, str(form.get("csrf") or ""))
    values = _form_values(form, names)
    # Every problem of the form at once, each next to its field.
    problems: dict[str, Text] = {}
    for check in (
        lambda: validate_citizen(values["name"], values["phone"], values["cccd"], values["email"]),
        lambda: parse_start(values["start"]),
    ):
        try:
            check()
        except InvalidInput as exc:
            problems.update(exc.fields)
    try:
        if problems:
            raise InvalidInput(problems)
        citizen = validate_citizen(values["name"], values["phone"], values["cccd"], values["email"])
        await service.limit(office, client_ip(request), citizen.phone)
        b = await service.book(
            office.slug, values["field"], values["procedure"], parse_start(values["start"]),
            citizen,
        )  # fmt: skip
    except TooManyRequests as exc:
        context = await _form_context(request, office, values, {"form": error_text(exc, lang)})
        return render(request, "booking.html", context, 429)
    except (BadRequest, Conflict, NotFound) as exc:
        context = await _form_context(request, office, values, _errors(exc, lang))
        return render(request, "booking.html", context, 400)
    return RedirectResponse(f"/book/{office.slug}/{b.code}?new=1", 303)


async def _booking_for_page(request: Request) -> tuple[Office, Booking] | Response:
    lang = language(request)
    service = services(request).appointments
    try:
        office = path_office(request)
        b = await service.find(request.path_params["code"], office.slug)
    except NotFound as exc:
        context = {"office": None, "error": error_text(exc, lang)}
        return render(request, "booking_manage.html", context, 404)
    return office, b


async def manage_page(request: Request) -> Response:
    found = await _booking_for_page(request)
    if isinstance(found, Response):
        return found
    office, b = found
    service = services(request).appointments
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
            day = parse_day(request.query_params.get("day"))
        except BadRequest as exc:
            day, context["error"] = None, error_text(exc, lang)
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
    service = services(request).appointments
    action = request.url.path.rsplit("/", 1)[-1]
    base = f"/book/{office.slug}/{b.code}"
    try:
        if action == "cancel":
            await service.cancel(office.slug, b.code)
        else:
            await service.limit(office, client_ip(request), None)
            await service.reschedule(office.slug, b.code, parse_start(str(form.get("start") or "")))
    except SothutuError as exc:
        lang = language(request)
        if isinstance(exc, TooManyRequests):
            return render(request, "booking_manage.html",
                          {"office": None, "error": error_text(exc, lang)}, 429)  # fmt: skip
        return RedirectResponse(f"{base}?{urlencode({'error': error_text(exc, lang)})}", 303)
    return RedirectResponse(f"{base}?done={action}", 303)


async def booking_qr(request: Request) -> Response:
    service = services(request).appointments
    b = await service.find(request.path_params["code"], path_office(request).slug)
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
    service = services(request).appointments
    office = path_office(request)
    b = await service.find(request.path_params["code"], office.slug)
    return Response(
        ics(service, b, office, service.clock.now_ms()),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="lich-hen-{b.code}.ics"'},
    )


async def check_in_page(request: Request) -> Response:
    lang = language(request)
    try:
        office = path_office(request)
    except NotFound as exc:
        return render(
            request, "checkin.html", {"office": None, "error": error_text(exc, lang)}, 404
        )
    fields = {f.code: f.name_en if lang == "en" else f.name_vi for f in office.fields}
    return render(request, "checkin.html", {"office": office, "fields": fields})


def routes() -> list[BaseRoute]:
    return [
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
