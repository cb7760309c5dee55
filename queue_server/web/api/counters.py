"""A counter's actions (open, pause, close, call the next ticket) and its day so far."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.services.auth import require_role
from queue_server.web.api.tickets import Handler
from queue_server.web.http.requests import (
    body,
    idempotency_key,
    opt_bool,
    path_int,
    principal,
)
from queue_server.web.http.responses import JSONResponse
from queue_server.web.wiring import services


def counter_action(action: str) -> Handler:
    async def handler(request: Request) -> Response:
        who = require_role(await principal(request), "staff", request.path_params["office"])
        force = opt_bool(await body(request), "force") if action != "open" else False
        state = await services(request).queue.counter_action(
            request.path_params["office"], path_int(request, "n"), action, who.name,
            idempotency_key(request), force=force,
        )  # fmt: skip
        return JSONResponse(state.to_json())

    return handler


async def call_next(request: Request) -> Response:
    require_role(await principal(request), "staff", request.path_params["office"])
    ticket = await services(request).queue.call_next(
        request.path_params["office"], path_int(request, "n"), idempotency_key(request)
    )
    if ticket is None:
        return Response(status_code=204)
    return JSONResponse(ticket.to_json())


async def today(request: Request) -> Response:
    require_role(await principal(request), "staff", request.path_params["office"])
    service = services(request).queue
    office = service.office(request.path_params["office"])
    counter = service.counter(office, path_int(request, "n"))
    stats = services(request).counter_stats
    return JSONResponse((await stats.today(office, counter.number)).to_json())


async def served(request: Request) -> Response:
    """The tickets the counter finished today, the last first (a pickup slip can still be
    made for each)."""
    require_role(await principal(request), "staff", request.path_params["office"])
    service = services(request).queue
    office = service.office(request.path_params["office"])
    counter = service.counter(office, path_int(request, "n"))
    stats = services(request).counter_stats
    tickets = await stats.finished_today(office, counter.number)
    return JSONResponse({"counter": counter.number, "tickets": tickets})


def routes() -> list[BaseRoute]:
    c = "/api/v1/offices/{office}/counters/{n}"
    return [
        *(
            Route(f"{c}/{a}", counter_action(a), methods=["POST"])
            for a in ("open", "pause", "close")
        ),
        Route(f"{c}/call-next", call_next, methods=["POST"]),
        Route(f"{c}/today", today),
        Route(f"{c}/served", served),
    ]
