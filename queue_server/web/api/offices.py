"""An office's public description, its queue (staff and boards) and the kiosk's load figures."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.office import Office
from queue_server.services.auth import require_device_or_role
from queue_server.services.overview import office_overview
from queue_server.web.http.errors import language
from queue_server.web.http.requests import (
    principal,
)
from queue_server.web.http.responses import JSONResponse
from queue_server.web.i18n import say
from queue_server.web.wiring import services


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
    return JSONResponse(office_json(services(request).queue.office(request.path_params["office"])))


async def get_queue(request: Request) -> Response:
    service = services(request).queue
    # Who asks comes before which office: an unknown office answers 401 like a known one.
    slug = request.path_params["office"]
    require_device_or_role(await principal(request), ("display",), "staff", slug)
    office = service.office(slug)
    return JSONResponse(await service.snapshot(office.slug))


async def overview(request: Request) -> Response:
    lang = language(request)
    data = await office_overview(
        services(request).queue, request.path_params["office"], lambda t: say(t, lang)
    )
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


def routes() -> list[BaseRoute]:
    o = "/api/v1/offices/{office}"
    return [
        Route(o, get_office),
        Route(f"{o}/queue", get_queue),
        Route(f"{o}/overview", overview),
    ]
