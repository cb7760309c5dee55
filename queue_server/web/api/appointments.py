"""Appointments as JSON: slots, bookings and their changes, on-site visits, check-in at the
kiosk, result-pickup appointments, and the views of a booking that pages share."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from printer import format_clock
from queue_server.errors import BadRequest, NotFound, Text, Unauthorized
from queue_server.office import Office
from queue_server.people import Principal
from queue_server.rules.calling import appointment_call_ms
from queue_server.services.appointments import (
    AppointmentService,
    Booking,
    CheckIn,
    InvalidInput,
    validate_citizen,
)
from queue_server.services.auth import require_device_or_role, require_role
from queue_server.services.queue import ticket_office
from queue_server.web.http.addresses import public_base
from queue_server.web.http.errors import language
from queue_server.web.http.requests import (
    body,
    client_ip,
    idempotency_key,
    opt_int,
    opt_str,
    path_office,
    principal,
    req_query,
    req_str,
)
from queue_server.web.i18n import translate
from queue_server.web.wiring import services


def parse_day(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(text_key="error.value.date", params={"raw": raw}) from None


def parse_start(raw: str) -> datetime:
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise InvalidInput({"start": Text(text_key="error.booking.start")}) from None


def day_label(d: date, lang: str) -> str:
    return f"{translate(f'reports.weekday.{d.weekday()}', lang)}, {d:%d/%m/%Y}"


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


async def api_slots(request: Request) -> Response:
    service = services(request).appointments
    office = path_office(request)
    field = service.queue.field(office, req_query(request, "field", "HT"))
    day = parse_day(request.query_params.get("day"))
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
    service = services(request).appointments
    office = path_office(request)
    data = await body(request)
    citizen = validate_citizen(
        opt_str(data, "name", 100) or "", opt_str(data, "phone", 20) or "",
        opt_str(data, "cccd", 12) or "", opt_str(data, "email", 200) or "",
    )  # fmt: skip
    await service.limit(office, client_ip(request), citizen.phone)
    b = await service.book(
        office.slug, req_str(data, "field", 8), opt_str(data, "procedure", 32) or "",
        parse_start(req_str(data, "start", 16)), citizen,
        idempotency_key=idempotency_key(request),
    )  # fmt: skip
    return JSONResponse(booking_view(service, b, language(request)), 201)


async def api_booking(request: Request) -> Response:
    service = services(request).appointments
    b = await service.find(request.path_params["code"], path_office(request).slug)
    return JSONResponse(booking_view(service, b, language(request)))


async def api_cancel(request: Request) -> Response:
    service = services(request).appointments
    office = path_office(request)
    found = await service.find(request.path_params["code"], office.slug)
    by = "citizen"
    if found.kind == "onsite":
        # The staff member's plan, not the citizen's code, decides a visit at an address.
        by = require_role(await principal(request), "staff", office.slug).name
    b = await service.cancel(office.slug, found.code, by, idempotency_key(request))
    return JSONResponse(booking_view(service, b, language(request)))


async def api_onsite(request: Request) -> Response:
    """Staff book a visit at an address; it blocks the staff member's time."""
    who = require_role(await principal(request), "staff", request.path_params["office"])
    service = services(request).appointments
    office = path_office(request)
    data = await body(request)
    staff = opt_str(data, "staff", 64) or who.name
    if not await services(request).auth.works_in(staff, office.slug):
        raise NotFound(text_key="error.booking.unknown_staff", params={"name": staff})
    minutes = opt_int(data, "minutes", 1, 24 * 60) or 60
    citizen = validate_citizen(opt_str(data, "name", 100) or "", opt_str(data, "phone", 20) or "")
    b = await service.book_onsite(
        office.slug, staff, req_str(data, "field", 8), opt_str(data, "procedure", 32) or "",
        parse_start(req_str(data, "start", 16)), minutes, req_str(data, "address", 300),
        citizen, idempotency_key(request),
    )  # fmt: skip
    return JSONResponse(booking_view(service, b, language(request)), 201)


async def api_plan(request: Request) -> Response:
    """The day's plan for staff: visits, result pickups and visits at an address."""
    require_role(await principal(request), "staff", request.path_params["office"])
    service = services(request).appointments
    office = path_office(request)
    day = parse_day(request.query_params.get("day")) or service.local_now(office).date()
    lang = language(request)
    items = [booking_view(service, b, lang) for b in await service.plan(office.slug, day)]
    return JSONResponse({"day": day.isoformat(), "items": items})


async def api_reschedule(request: Request) -> Response:
    service = services(request).appointments
    office = path_office(request)
    data = await body(request)
    await service.limit(office, client_ip(request), None)
    b = await service.reschedule(
        office.slug, request.path_params["code"], parse_start(req_str(data, "start", 16)),
        idempotency_key(request),
    )  # fmt: skip
    return JSONResponse(booking_view(service, b, language(request)))


async def _print_ticket(request: Request, office: Office, result: CheckIn, printer: str) -> None:
    printing = services(request).printing
    if printing is None or result.placed is None or result.again:
        return
    await printing.print_ticket(
        office.slug, printer, result.placed, requested_by="check-in",
        idempotency_key=f"checkin-print.{result.booking.code}", base=public_base(request),
    )  # fmt: skip


async def api_check_in(request: Request) -> Response:
    """The kiosk's check-in: 201 with the ticket, or 200 with status early/late."""
    service = services(request).appointments
    office = path_office(request)
    if not office.open_kiosk:
        require_device_or_role(await principal(request), ("kiosk",), "staff", office.slug)
    data = await body(request)
    printer = opt_str(data, "printer", 64)
    printing = services(request).printing
    if printer is not None and printing is not None:
        printing.printer(office.slug, printer)  # an unknown printer: 404 before any ticket
    result = await service.check_in(office.slug, req_str(data, "code", 40))
    lang = language(request)
    answer: dict[str, Any] = {
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
        answer["opens_at"] = f"{opens:%H:%M} {day_label(opens.date(), lang)}"
    if result.placed is not None:
        t = result.placed.ticket
        call_ms = appointment_call_ms(t.due_at, t.issued_at)
        answer["call_notice"] = (
            translate("checkin.call_soon", lang)
            if call_ms is None
            else translate("checkin.call_at", lang).format(
                time=format_clock(service.to_local(office, call_ms))
            )
        )
        answer["status_url"] = f"/t/{t.id}"
    if result.status == "ok" and printer is not None:
        await _print_ticket(request, office, result, printer)
    return JSONResponse(answer, 201 if result.placed and not result.again else 200)


async def api_result(request: Request) -> Response:
    """Staff record the procedure received at a counter: a result-pickup appointment."""
    who = require_role(await principal(request), "staff", ticket_office(request.path_params["id"]))
    service = services(request).appointments
    data = await body(request)
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
    who = await _pickup_clerk(request)
    service = services(request).appointments
    data = await body(request)
    raw_day = opt_str(data, "date", 10)
    new_day = parse_day(raw_day) if raw_day else None
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
    await _pickup_clerk(request)
    service = services(request).appointments
    b = await service.find_pickup(request.path_params["code"])
    lang = language(request)
    answer = booking_view(service, b, lang)
    answer["open"] = b.status == "booked"
    answer["slip_page"] = f"/appointments/{b.code}/slip"
    raw = request.query_params.get("working_days")
    if raw is not None:
        if not raw.isdigit() or not 1 <= int(raw) <= 60:
            raise BadRequest(text_key="error.booking.postpone_days")
        moved = service.postponed_day(b, int(raw))
        answer["postponed_to"] = {"day": moved.isoformat(), "date_label": day_label(moved, lang)}
    return JSONResponse(answer)


async def _pickup_clerk(request: Request) -> Principal:
    """The staff member of the office whose result pickup the path's code names. Logged
    in first (401 before any lookup); a code of another office is a 403 like any route of
    it."""
    who = await principal(request)
    if who is None:
        raise Unauthorized(text_key="error.auth.log_in")
    b = await services(request).appointments.find(request.path_params["code"])
    return require_role(who, "staff", b.office)


async def slip_answer(
    request: Request, b: Booking, data: dict[str, Any], staff: str
) -> dict[str, Any]:
    service = services(request).appointments
    answer = booking_view(service, b, language(request))
    answer["slip_url"] = f"/appointments/{b.code}/slip.png"
    answer["slip_page"] = f"/appointments/{b.code}/slip"
    answer["print_job"] = None
    answer["print_status"] = None
    answer["printer_state"] = None
    printer = opt_str(data, "printer", 64)
    printing = services(request).printing
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
    ]
