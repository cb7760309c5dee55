"""The JSON API under /api/v1. Handlers read the request, ask a service, answer JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import BadRequest
from queue_server.office import APPOINTMENT
from queue_server.services.auth import require_device_or_role, require_role
from queue_server.services.printing import PrintService
from queue_server.services.queue import ticket_office
from queue_server.web.http.addresses import public_base
from queue_server.web.http.requests import (
    body,
    idempotency_key,
    opt_bool,
    opt_int,
    opt_str,
    principal,
    req_str,
)
from queue_server.web.http.responses import JSONResponse
from queue_server.web.wiring import services

Handler = Callable[[Request], Awaitable[Response]]


async def issue_ticket(request: Request) -> Response:
    service = services(request).queue
    office = service.office(request.path_params["office"])
    if not office.open_kiosk:
        require_device_or_role(await principal(request), ("kiosk",), "staff", office.slug)
    data = await body(request)
    field = req_str(data, "field", 8)
    priority = opt_str(data, "priority", 32)
    if priority in ("normal", ""):
        priority = None
    if priority == APPOINTMENT:
        raise BadRequest(text_key="error.ticket.appointment")
    printer = opt_str(data, "printer", 64)
    if printer is not None:
        printing: PrintService = services(request).printing
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


async def get_ticket(request: Request) -> Response:
    placed = await services(request).queue.get(request.path_params["id"])
    return JSONResponse(placed.to_json())


async def call_ticket(request: Request) -> Response:
    require_role(await principal(request), "staff", ticket_office(request.path_params["id"]))
    data = await body(request)
    counter = opt_int(data, "counter", 1, 999)
    if counter is None:
        raise BadRequest(text_key="error.ticket.counter_missing")
    ticket = await services(request).queue.call(
        request.path_params["id"], counter, idempotency_key(request)
    )
    return JSONResponse(ticket.to_json())


def ticket_step(action: str) -> Handler:
    async def handler(request: Request) -> Response:
        require_role(await principal(request), "staff", ticket_office(request.path_params["id"]))
        data = await body(request)
        ticket = await services(request).queue.step(
            request.path_params["id"], action, opt_int(data, "counter", 1, 999),
            idempotency_key(request),
        )  # fmt: skip
        return JSONResponse(ticket.to_json())

    return handler


async def cancel_ticket(request: Request) -> Response:
    # Holding the unguessable id is enough: the citizen may cancel their own ticket.
    ticket = await services(request).queue.cancel(
        request.path_params["id"], idempotency_key(request)
    )
    return JSONResponse(ticket.to_json())


async def transfer_ticket(request: Request) -> Response:
    require_role(await principal(request), "staff", ticket_office(request.path_params["id"]))
    data = await body(request)
    ticket = await services(request).queue.transfer(
        request.path_params["id"], opt_str(data, "field", 8), opt_int(data, "counter", 1, 999),
        idempotency_key(request), force=opt_bool(data, "force"),
    )  # fmt: skip
    return JSONResponse(ticket.to_json())


def routes() -> list[BaseRoute]:
    t = "/api/v1/tickets/{id}"
    return [
        Route("/api/v1/offices/{office}/tickets", issue_ticket, methods=["POST"]),
        Route(t, get_ticket),
        Route(f"{t}/call", call_ticket, methods=["POST"]),
        Route(f"{t}/recall", ticket_step("recall"), methods=["POST"]),
        Route(f"{t}/start", ticket_step("start"), methods=["POST"]),
        Route(f"{t}/finish", ticket_step("finish"), methods=["POST"]),
        Route(f"{t}/no-show", ticket_step("no_show"), methods=["POST"]),
        Route(f"{t}/cancel", cancel_ticket, methods=["POST"]),
        Route(f"{t}/transfer", transfer_ticket, methods=["POST"]),
    ]
