"""Rating pages and API: the counter tablet (`/rate/{office}/{n}`), the phone page
(`/t/{id}/rate`) and `POST /api/v1/tickets/{id}/rating`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import NotFound
from queue_server.office import Office
from queue_server.services.auth import require_device_or_role
from queue_server.services.ratings import REASONS, levels
from queue_server.web.http.requests import path_int, principal
from queue_server.web.http.templates import render
from queue_server.web.wiring import services

# The tablet shows the rating only for a ticket finished this recently (an event replayed
# after a reconnect is older), and goes back to idle after this long without a tap.
FRESH_S = 60
IDLE_S = 60
THANKS_S = 4


def _scale(office: Office) -> dict[str, Any]:
    return {
        "levels": [
            {"value": lv.value, "key": lv.key, "negative": lv.negative} for lv in levels(office)
        ],
        "reasons": list(REASONS),
    }


async def tablet_page(request: Request) -> Response:
    service = services(request).queue
    who = await principal(request)
    if who is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", 303)
    require_device_or_role(who, ("display", "kiosk"), "staff", request.path_params["office"])
    office = service.office(request.path_params["office"])
    counter = service.counter(office, path_int(request, "n"))
    return render(
        request,
        "rate_tablet.html",
        {
            "office": office,
            "counter": counter,
            "scale": _scale(office),
            "token": request.query_params.get("token", ""),
            "heartbeat_s": services(request).config.server.heartbeat_s,
            "now_ms": service.clock.now_ms(),
            "timing": {"fresh": FRESH_S, "idle": _idle_s(request), "thanks": THANKS_S},
        },
    )


def _idle_s(request: Request) -> int:
    """`?idle=` seconds (1-600) lets a tablet's URL set how soon an untouched rating goes."""
    raw = request.query_params.get("idle", "")
    if raw.isdigit() and 1 <= int(raw) <= 600:
        return int(raw)
    return IDLE_S


async def phone_page(request: Request) -> Response:
    service = services(request).queue
    ticket_id = request.path_params["id"]
    try:
        ticket = await service.ticket(ticket_id)
        office = service.office(ticket.office)
    except NotFound:
        return render(request, "rate_phone.html", {"ticket": None}, status=404)
    rated = await services(request).ratings.already_rated(ticket_id)
    response = render(
        request,
        "rate_phone.html",
        {
            "ticket": ticket,
            "office": office,
            "scale": _scale(office),
            "rated": bool(rated),
            "timing": {"fresh": FRESH_S, "idle": IDLE_S, "thanks": THANKS_S},
        },
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/rate/{office}/{n}", tablet_page),
        Route("/t/{id}/rate", phone_page),
    ]
