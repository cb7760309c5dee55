"""A citizen's rating of a finished visit, from the counter's tablet or their phone."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import BadRequest
from queue_server.web.http.requests import body, idempotency_key, opt_str, whole_number
from queue_server.web.wiring import services


async def rate_ticket(request: Request) -> Response:
    # Holding the unguessable ticket id is enough, as for cancelling: the phone page has
    # it from the QR code, the counter tablet from its display token's event stream.
    data = await body(request)
    level = whole_number(data.get("level"))
    if level is None:
        raise BadRequest(text_key="error.rating.level")
    reason = opt_str(data, "reason", 300)
    event = await services(request).ratings.rate(
        request.path_params["id"], level, reason, idempotency_key(request)
    )
    return JSONResponse({"ok": True, "level": level, "event": event}, status_code=201)


def routes() -> list[BaseRoute]:
    return [Route("/api/v1/tickets/{id}/rating", rate_ticket, methods=["POST"])]
