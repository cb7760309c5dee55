"""An office's public description, its queue (staff and boards) and the kiosk's load figures;
the province admin's list of offices: add (a copy of another office, or an imported table),
rename, close, reopen."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import BadRequest
from queue_server.office import Office
from queue_server.services.auth import require_admin, require_device_or_role
from queue_server.services.offices import OfficeEntry, OfficeRegistry, from_json, parse_table
from queue_server.services.overview import office_overview
from queue_server.web.http.errors import language
from queue_server.web.http.requests import (
    json_body,
    opt_str,
    principal,
    req_str,
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


# An office's table (a config.toml [[offices]] entry) is larger than most bodies.
TABLE_LIMIT = 256 * 1024


def listed_json(office: Office, entry: OfficeEntry | None) -> dict[str, Any]:
    """An office in the province's list: who it is and whether it is open."""
    return {
        "slug": office.slug,
        "name": office.name,
        "address": office.address,
        "state": entry.state if entry else "active",
        "periods": [
            {"from": a, "to": b or None} for a, b in (entry.periods if entry else ((0, 0),))
        ],
        "changed_by": entry.by if entry else "",
        "changed_at": entry.at_ms if entry else 0,
    }


def _listed(registry: OfficeRegistry, slug: str) -> dict[str, Any]:
    office = registry.find(slug)
    assert office is not None
    return listed_json(office, registry.entry(slug))


async def offices(request: Request) -> Response:
    """One route for both methods, so that a 405 on the path names them both in `Allow`."""
    if request.method == "POST":
        return await create_office(request)
    return await list_offices(request)


async def list_offices(request: Request) -> Response:
    require_admin(await principal(request))
    registry = services(request).offices
    return JSONResponse({"offices": [_listed(registry, o.slug) for o in registry.known()]})


async def create_office(request: Request) -> Response:
    """`{"slug", "name", "address"?, "copy_from"}`, `{"table": {...}}` (JSON) or
    `{"toml": "..."}` (a TOML table, or a config.toml of one office)."""
    who = require_admin(await principal(request))
    data = await json_body(request, TABLE_LIMIT)
    registry = services(request).offices
    table: Any
    if data.get("table") is not None:
        if not isinstance(data["table"], dict):
            raise BadRequest(text_key="error.office.not_one")
        table = from_json(data["table"])
    elif data.get("toml") is not None:
        table = parse_table(req_str(data, "toml", TABLE_LIMIT), "toml")
    elif data.get("copy_from") is not None:
        table = registry.copy_table(
            req_str(data, "copy_from", 64), req_str(data, "slug", 64),
            req_str(data, "name"), opt_str(data, "address"),
        )  # fmt: skip
    else:
        raise BadRequest(text_key="error.office.create_how")
    office = await services(request).live.add(table, who.name)
    return JSONResponse(_listed(registry, office.slug), status_code=201)


async def rename_office(request: Request) -> Response:
    who = require_admin(await principal(request))
    data = await json_body(request, services(request).config.server.max_body_bytes)
    registry = services(request).offices
    slug = request.path_params["office"]
    await services(request).live.rename(
        slug, req_str(data, "name"), opt_str(data, "address"), who.name
    )
    return JSONResponse(_listed(registry, slug))


async def close_office(request: Request) -> Response:
    who = require_admin(await principal(request))
    registry = services(request).offices
    slug = request.path_params["office"]
    await services(request).live.close(slug, who.name)
    return JSONResponse(_listed(registry, slug))


async def reopen_office(request: Request) -> Response:
    who = require_admin(await principal(request))
    registry = services(request).offices
    slug = request.path_params["office"]
    await services(request).live.reopen(slug, who.name)
    return JSONResponse(_listed(registry, slug))


def routes() -> list[BaseRoute]:
    o = "/api/v1/offices/{office}"
    return [
        Route("/api/v1/offices", offices, methods=["GET", "POST"]),
        Route(f"{o}/rename", rename_office, methods=["POST"]),
        Route(f"{o}/close", close_office, methods=["POST"]),
        Route(f"{o}/reopen", reopen_office, methods=["POST"]),
        Route(o, get_office),
        Route(f"{o}/queue", get_queue),
        Route(f"{o}/overview", overview),
    ]
