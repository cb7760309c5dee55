"""The JSON API under /api/v1, one module per resource. Handlers read the request, ask a
service, answer JSON; `openapi` describes every route listed here."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.web.api import (
    appointments,
    auth,
    counters,
    offices,
    printers,
    province,
    ratings,
    reports,
    tickets,
)
from queue_server.web.api.openapi import openapi
from queue_server.web.http.addresses import public_base
from queue_server.web.http.responses import JSONResponse


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi(public_base(request)))


async def noop(request: Request) -> Response:
    """For benchmarks: the cost of the HTTP stack alone."""
    return JSONResponse({"ok": True})


def routes() -> list[BaseRoute]:
    return [
        Route("/api/v1/openapi.json", openapi_json),
        Route("/api/v1/noop", noop),
        *auth.routes(),
        *offices.routes(),
        *tickets.routes(),
        *counters.routes(),
        *appointments.routes(),
        *ratings.routes(),
        *reports.routes(),
        *printers.routes(),
        *province.routes(),
    ]
