"""Rating pages and API: the counter tablet (`/rate/{office}/{n}`), the phone page
(`/t/{id}/rate`) and `POST /api/v1/tickets/{id}/rating`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from queue_server.config import Office
from queue_server.errors import BadRequest, NotFound
from queue_server.services.auth import require_device_or_role
from queue_server.services.queue import QueueService
from queue_server.services.ratings import REASONS, RatingService, levels
from queue_server.store import keys
from queue_server.store.queue import split_ticket_id
from queue_server.store.ratings import RatingStore
from queue_server.web.pages import render
from queue_server.web.requests import (
    idempotency_key,
    json_body,
    opt_str,
    path_int,
    principal,
    whole_number,
)

# The tablet shows the rating only for a ticket finished this recently (an event replayed
# after a reconnect is older), and goes back to idle after this long without a tap.
FRESH_S = 60
IDLE_S = 60
THANKS_S = 4


def _queue(request: Request) -> QueueService:
    service: QueueService = request.app.state.queue
    return service


def _service(request: Request) -> RatingService:
    state = request.app.state
    service: RatingService | None = getattr(state, "ratings", None)
    if service is None:
        service = state.ratings = RatingService(state.queue, RatingStore(state.redis))
    return service


def _scale(office: Office) -> dict[str, Any]:
    return {
        "levels": [
            {"value": lv.value, "key": lv.key, "negative": lv.negative} for lv in levels(office)
        ],
        "reasons": list(REASONS),
    }


async def rate_ticket(request: Request) -> Response:
    # Holding the unguessable ticket id is enough, as for cancelling: the phone page has
    # it from the QR code, the counter tablet from its display token's event stream.
    data = await json_body(request, request.app.state.config.server.max_body_bytes)
    level = whole_number(data.get("level"))
    if level is None:
        raise BadRequest(
            "'level' must be a whole number from 1 (very satisfied) to 4 or 5",
            vi="Thiếu mức đánh giá ('level'): số từ 1 (rất hài lòng) đến 4 hoặc 5.",
        )
    reason = opt_str(data, "reason", 300)
    event = await _service(request).rate(
        request.path_params["id"], level, reason, idempotency_key(request)
    )
    return JSONResponse({"ok": True, "level": level, "event": event}, status_code=201)


async def tablet_page(request: Request) -> Response:
    service = _queue(request)
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
            "heartbeat_s": request.app.state.config.server.heartbeat_s,
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
    service = _queue(request)
    ticket_id = request.path_params["id"]
    try:
        ticket = await service.store.ticket(ticket_id)
        office = service.office(ticket.office)
    except NotFound:
        return render(request, "rate_phone.html", {"ticket": None}, status=404)
    slug, token = split_ticket_id(ticket_id)
    rated = await request.app.state.redis.hget(keys.ticket(slug, token), "rated")
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
        Route("/api/v1/tickets/{id}/rating", rate_ticket, methods=["POST"]),
        Route("/rate/{office}/{n}", tablet_page),
        Route("/t/{id}/rate", phone_page),
    ]
