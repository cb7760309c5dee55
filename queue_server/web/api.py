"""The JSON API under /api/v1. Handlers read the request, ask a service, answer JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.config import APPOINTMENT, Office
from queue_server.errors import BadRequest
from queue_server.services.auth import AuthService, require_device_or_role, require_role
from queue_server.services.printing import PrintService
from queue_server.services.queue import QueueService
from queue_server.store.accounts import Principal
from queue_server.web.addresses import public_base
from queue_server.web.openapi import openapi
from queue_server.web.requests import (
    idempotency_key,
    json_body,
    opt_bool,
    opt_int,
    opt_str,
    path_int,
    principal,
    req_str,
)
from queue_server.web.responses import JSONResponse

Handler = Callable[[Request], Awaitable[Response]]


def _queue(request: Request) -> QueueService:
    service: QueueService = request.app.state.queue
    return service


async def _body(request: Request) -> dict[str, Any]:
    return await json_body(request, request.app.state.config.server.max_body_bytes)


async def _staff(request: Request) -> Principal:
    return require_role(await principal(request), "staff")


def office_json(office: Office) -> dict[str, Any]:
    return {
        "slug": office.slug,
        "name": office.name,
        "address": office.address,
        "timezone": office.timezone,
        "announce": office.announce,
        "interleave": office.interleave,
        "fields": [
            {
                "code": f.code,
                "prefix": f.prefix,
                "name_vi": f.name_vi,
                "name_en": f.name_en,
                "service_minutes": f.service_minutes,
                "target_wait_minutes": f.target_wait_minutes,
                "procedures": [
                    {
                        "code": p.code,
                        "name_vi": p.name_vi,
                        "name_en": p.name_en,
                        "legal_days": p.legal_days,
                        "no_wait": p.no_wait,
                        "documents": list(p.documents),
                        "fee": p.fee,
                    }
                    for p in f.procedures
                ],
            }
            for f in office.fields
        ],
        "counters": [
            {"number": c.number, "name": c.name, "fields": list(c.fields)} for c in office.counters
        ],
        "priorities": [
            {"code": p.code, "name_vi": p.name_vi, "name_en": p.name_en} for p in office.priorities
        ],
    }


async def get_office(request: Request) -> Response:
    return JSONResponse(office_json(_queue(request).office(request.path_params["office"])))


async def issue_ticket(request: Request) -> Response:
    service = _queue(request)
    office = service.office(request.path_params["office"])
    if not office.open_kiosk:
        require_device_or_role(await principal(request), ("kiosk",), "staff", office.slug)
    data = await _body(request)
    field = req_str(data, "field", 8)
    priority = opt_str(data, "priority", 32)
    if priority in ("normal", ""):
        priority = None
    if priority == APPOINTMENT:
        raise BadRequest(
            "appointment tickets are issued by checking in a booking code",
            vi="Số có lịch hẹn chỉ được cấp khi xác nhận mã lịch hẹn.",
        )
    printer = opt_str(data, "printer", 64)
    if printer is not None:
        printing: PrintService = request.app.state.printing
        printing.printer(office.slug, printer)  # an unknown printer: 404, and no ticket
    key = idempotency_key(request)
    # After the walk-in stop before closing: 409; tickets already issued are still served.
    placed = await service.issue(office.slug, field, priority, idempotency_key=key, walk_in=True)
    answer = placed.to_json()
    if printer is not None:
        # The same key makes a retried request find the job it enqueued the first time.
        who = await principal(request)
        job = await printing.print_ticket(
            office.slug, printer, placed, requested_by=who.name if who else "kiosk",
            idempotency_key=f"{key}:print" if key else None, base=public_base(request),
        )  # fmt: skip
        answer["print_job"] = job.id
    return JSONResponse(answer, 201)


async def get_queue(request: Request) -> Response:
    service = _queue(request)
    # Who asks comes before which office: an unknown office answers 401 like a known one.
    slug = request.path_params["office"]
    require_device_or_role(await principal(request), ("display",), "staff", slug)
    office = service.office(slug)
    return JSONResponse(await service.snapshot(office.slug))


async def get_ticket(request: Request) -> Response:
    placed = await _queue(request).get(request.path_params["id"])
    return JSONResponse(placed.to_json())


def counter_action(action: str) -> Handler:
    async def handler(request: Request) -> Response:
        who = await _staff(request)
        force = opt_bool(await _body(request), "force") if action != "open" else False
        state = await _queue(request).counter_action(
            request.path_params["office"], path_int(request, "n"), action, who.name,
            idempotency_key(request), force=force,
        )  # fmt: skip
        return JSONResponse(state.to_json())

    return handler


async def call_next(request: Request) -> Response:
    await _staff(request)
    ticket = await _queue(request).call_next(
        request.path_params["office"], path_int(request, "n"), idempotency_key(request)
    )
    if ticket is None:
        return Response(status_code=204)
    return JSONResponse(ticket.to_json())


async def call_ticket(request: Request) -> Response:
    await _staff(request)
    data = await _body(request)
    counter = opt_int(data, "counter", 1, 999)
    if counter is None:
        raise BadRequest("'counter' is missing", vi="Thiếu số quầy ('counter').")
    ticket = await _queue(request).call(
        request.path_params["id"], counter, idempotency_key(request)
    )
    return JSONResponse(ticket.to_json())


def ticket_step(action: str) -> Handler:
    async def handler(request: Request) -> Response:
        await _staff(request)
        data = await _body(request)
        ticket = await _queue(request).step(
            request.path_params["id"], action, opt_int(data, "counter", 1, 999),
            idempotency_key(request),
        )  # fmt: skip
        return JSONResponse(ticket.to_json())

    return handler


async def cancel_ticket(request: Request) -> Response:
    # Holding the unguessable id is enough: the citizen may cancel their own ticket.
    ticket = await _queue(request).cancel(request.path_params["id"], idempotency_key(request))
    return JSONResponse(ticket.to_json())


async def transfer_ticket(request: Request) -> Response:
    await _staff(request)
    data = await _body(request)
    ticket = await _queue(request).transfer(
        request.path_params["id"], opt_str(data, "field", 8), opt_int(data, "counter", 1, 999),
        idempotency_key(request), force=opt_bool(data, "force"),
    )  # fmt: skip
    return JSONResponse(ticket.to_json())


async def token(request: Request) -> Response:
    data = await _body(request)
    auth: AuthService = request.app.state.auth
    access, who = await auth.login(req_str(data, "username", 64), req_str(data, "password", 200))
    return JSONResponse(
        {"access_token": access, "token_type": "bearer", "role": who.role, "username": who.name}
    )


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi(public_base(request)))


async def noop(request: Request) -> Response:
    """For benchmarks: the cost of the HTTP stack alone."""
    return JSONResponse({"ok": True})


def routes() -> list[BaseRoute]:
    o = "/api/v1/offices/{office}"
    t = "/api/v1/tickets/{id}"
    return [
        Route("/api/v1/openapi.json", openapi_json),
        Route("/api/v1/auth/token", token, methods=["POST"]),
        Route("/api/v1/noop", noop),
        Route(o, get_office),
        Route(f"{o}/tickets", issue_ticket, methods=["POST"]),
        Route(f"{o}/queue", get_queue),
        *(
            Route(f"{o}/counters/{{n}}/{a}", counter_action(a), methods=["POST"])
            for a in ("open", "pause", "close")
        ),
        Route(f"{o}/counters/{{n}}/call-next", call_next, methods=["POST"]),
        Route(t, get_ticket),
        Route(f"{t}/call", call_ticket, methods=["POST"]),
        Route(f"{t}/recall", ticket_step("recall"), methods=["POST"]),
        Route(f"{t}/start", ticket_step("start"), methods=["POST"]),
        Route(f"{t}/finish", ticket_step("finish"), methods=["POST"]),
        Route(f"{t}/no-show", ticket_step("no_show"), methods=["POST"]),
        Route(f"{t}/cancel", cancel_ticket, methods=["POST"]),
        Route(f"{t}/transfer", transfer_ticket, methods=["POST"]),
    ]
