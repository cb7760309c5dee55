"""The kiosk at the entrance and the citizen's ticket status page.

`/kiosk/{office}` is a touch screen that issues tickets through the JSON API (with the
kiosk's device token from `?token=` when the office has no open kiosk; `?printer=NAME`
asks the server to print there). `/t/{id}` is the page the ticket's QR code opens;
`/t/{id}/qr.svg` is that QR code. `GET /api/v1/offices/{office}/overview` is the public
load of each field the kiosk shows.
"""

from __future__ import annotations

import qrcode
import qrcode.constants
import qrcode.image.svg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import NotFound
from queue_server.office import APPOINTMENT, Office
from queue_server.services.overview import field_loads, walk_in_gate_json
from queue_server.services.queue import Placed
from queue_server.web.http.addresses import public_base
from queue_server.web.http.errors import language
from queue_server.web.http.templates import render
from queue_server.web.i18n import error_text, say
from queue_server.web.wiring import services

CHECK_IN_PATH = "/kiosk/{office}/check-in"
FINAL_STATUSES = ("done", "no_show", "cancelled")


def _has_route(request: Request, path: str) -> bool:
    return any(getattr(route, "path", None) == path for route in request.app.routes)


def _field_names(office: Office, lang: str) -> dict[str, dict[str, str]]:
    en = lang == "en"
    return {
        f.code: {"prefix": f.prefix, "name": f.name_en if en else f.name_vi} for f in office.fields
    }


def ticket_url(request: Request, ticket_id: str) -> str:
    """Where the ticket's QR code leads: the address the kiosk used, or the LAN address
    when the kiosk knows the server as localhost (addresses.public_base)."""
    return f"{public_base(request)}/t/{ticket_id}"


async def kiosk_page(request: Request) -> Response:
    service = services(request).queue
    lang = language(request)
    try:
        office = service.office(request.path_params["office"])
    except NotFound as exc:
        return render(request, "kiosk.html", {"error": error_text(exc, lang)}, status=404)
    loads = await field_loads(service, office)
    check_in = CHECK_IN_PATH.replace("{office}", office.slug)
    return render(
        request,
        "kiosk.html",
        {
            "office": office,
            "loads": [load.to_json(lambda t: say(t, lang)) for load in loads],
            "walk_in": walk_in_gate_json(service, office, loads, lambda t: say(t, lang)),
            "priorities": [p for p in office.priorities if p.code != APPOINTMENT],
            "check_in": check_in if _has_route(request, CHECK_IN_PATH) else None,
            "heartbeat_s": services(request).config.server.heartbeat_s,
            "fields": _field_names(office, lang),
        },
    )


async def _placed(request: Request) -> Placed:
    return await services(request).queue.get(request.path_params["id"])


async def ticket_page(request: Request) -> Response:
    service = services(request).queue
    lang = language(request)
    try:
        placed = await _placed(request)
    except NotFound:
        return render(request, "ticket.html", {"ticket": None}, status=404)
    office = service.office(placed.ticket.office)
    response = render(
        request,
        "ticket.html",
        {
            "ticket": placed.to_json(),
            "office": office,
            "fields": _field_names(office, lang),
            "priority": office.priority(placed.ticket.priority or ""),
            "final": placed.ticket.status in FINAL_STATUSES,
            "heartbeat_s": services(request).config.server.heartbeat_s,
        },
    )
    # The page holds the id that can cancel the ticket: keep it out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


async def ticket_qr(request: Request) -> Response:
    # An unknown id is a 404, not a QR code to nowhere.
    ticket = await services(request).queue.ticket(request.path_params["id"])
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    qr.add_data(ticket_url(request, ticket.id))
    qr.make(fit=True)
    svg: bytes = qr.make_image().to_string()
    return Response(
        svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"}
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/kiosk/{office}", kiosk_page),
        Route("/t/{id}", ticket_page),
        Route("/t/{id}/qr.svg", ticket_qr),
    ]
