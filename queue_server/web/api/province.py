"""The province admin's figures across offices: every office now, and one month side by
side. How each figure is computed: `services/province.py` and docs/api.md."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.services.auth import require_admin
from queue_server.services.province import rating_average
from queue_server.services.reports import figures
from queue_server.web.api.reports import parse_month
from queue_server.web.http.requests import principal
from queue_server.web.http.responses import JSONResponse
from queue_server.web.wiring import services


async def overview_api(request: Request) -> Response:
    require_admin(await principal(request))
    found = services(request)
    rows = await found.province.overview()
    return JSONResponse(
        {"now_ms": found.queue.clock.now_ms(), "offices": [r.to_json() for r in rows]},
        headers={"Cache-Control": "no-store"},
    )


async def reports_api(request: Request) -> Response:
    require_admin(await principal(request))
    province = services(request).province
    start, end = parse_month(request.query_params.get("month"), province.this_month())
    report = await province.report(start, end)
    return JSONResponse(
        {
            "month": start.strftime("%Y-%m"),
            "from": start.isoformat(),
            "to": end.isoformat(),
            "offices": [
                {
                    "office": r.office.slug,
                    "name": r.office.name,
                    "live_day": r.live_day,
                    **figures(r.group("all")),
                    "rating_average": rating_average(r.group("all")["rated"]),
                    "ratings": r.group("all")["rated"][: r.office.ratings.levels],
                }
                for r in report.offices
            ],
            "total": {
                **figures(report.total),
                "rating_average": rating_average(report.total["rated"]),
            },
        }
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/api/v1/province/overview", overview_api),
        Route("/api/v1/province/reports", reports_api),
    ]
