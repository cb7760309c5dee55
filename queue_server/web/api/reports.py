"""An office's report figures over a date range, as JSON."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import BadRequest
from queue_server.services.auth import require_role
from queue_server.services.queue import QueueService
from queue_server.services.reports import (
    MAX_RANGE_DAYS,
    figures,
    new_metrics,
)
from queue_server.web.api.schemas import DIMENSIONS
from queue_server.web.http.requests import principal
from queue_server.web.wiring import services

FIRST_DAY = date(2000, 1, 1)


def _date(raw: str | None, name: str, default: date) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(text_key="error.report.date", params={"name": name, "raw": raw}) from None


def parse_range(request: Request, today: date) -> tuple[date, date]:
    """`from` and `to` (ISO dates, both included); by default this month up to today."""
    q = request.query_params
    start = _date(q.get("from"), "from", today.replace(day=1))
    end = _date(q.get("to"), "to", today)
    # Events are read by their stream ids, milliseconds since 1970: an earlier day has no
    # id, and Redis refused the range (a 503 that blamed the data store).
    if start < FIRST_DAY:
        raise BadRequest(text_key="error.report.before_first", params={"first": FIRST_DAY})
    if end < start:
        raise BadRequest(text_key="error.report.reversed")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise BadRequest(text_key="error.report.too_long", params={"days": MAX_RANGE_DAYS})
    return start, end


def parse_month(raw: str | None, today: date) -> tuple[date, date]:
    if not raw:
        first = today.replace(day=1)
    else:
        try:
            first = date.fromisoformat(raw + "-01")
        except ValueError:
            raise BadRequest(text_key="error.report.month", params={"raw": raw}) from None
    if first < FIRST_DAY:  # as in parse_range: no stream id before 1970
        raise BadRequest(text_key="error.report.before_first", params={"first": FIRST_DAY})
    if first.year == date.max.year and first.month == 12:  # its last day has no next day
        raise BadRequest(text_key="error.report.month", params={"raw": raw})
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


async def reports_api(request: Request) -> Response:
    require_role(await principal(request), "manager", request.path_params["office"])
    queue: QueueService = services(request).queue
    office = queue.office(request.path_params["office"], closed=True)  # its history stays
    service = services(request).reports
    start, end = parse_range(request, service.today(office))
    report = await service.report(office, start, end)
    return JSONResponse(
        {
            "office": office.slug,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "live_day": report.live_day,
            "total": figures(report.group("all")),
            "ratings": report.group("all")["rated"][: office.ratings.levels],
            "days": [
                {"day": a["day"], **figures(a["groups"].get("all") or new_metrics())}
                for a in report.days
            ],
            **{
                dim: [{"key": k, **figures(m)} for k, m in report.dimension(dim)]
                for dim in DIMENSIONS
            },
            "hours": report.heatmap(),
            "built_days": report.built_days,
            "seconds": round(report.build_s, 3),
        }
    )


def routes() -> list[BaseRoute]:
    return [Route("/api/v1/offices/{office}/reports", reports_api)]
