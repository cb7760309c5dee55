"""The Starlette application: the route list and the middleware list. What the routes use
is built once by the composition root, `queue_server.web.wiring`."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

import display
from queue_server.config import Config
from queue_server.services import StoreError
from queue_server.services.clock import Clock
from queue_server.web import (
    api,
    board,
    booking,
    counter,
    kiosk,
    login,
    manage,
    province,
    wiring,
)
from queue_server.web.http.body_deadline import BodyDeadline
from queue_server.web.http.errors import HANDLERS, UnexpectedErrors, internal_error
from queue_server.web.http.request_log import RequestIds
from queue_server.web.http.sessions import SESSION_COOKIE, ApiAwareSessions, session_key
from queue_server.web.http.templates import WEB
from queue_server.web.probes import readyz
from queue_server.web.realtime import office_socket
from queue_server.web.wiring import services

__all__ = ["SESSION_COOKIE", "create_app"]


async def healthz(request: Request) -> Response:
    found = services(request)
    try:
        # Quicker than the client's retries, so a monitor learns of an outage at once.
        await asyncio.wait_for(found.queue.ping(), 1.0)
    except (StoreError, TimeoutError) as exc:
        return JSONResponse({"status": "error", "redis": str(exc) or "timeout"}, 503)
    return JSONResponse({"status": "ok", "clients": found.hub.clients()})


async def favicon(request: Request) -> Response:
    # Browsers ask for it on every page, whatever the page links; the pages link the SVG.
    return FileResponse(
        WEB / "static" / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def create_app(config: Config, *, clock: Clock | None = None) -> Starlette:
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/favicon.ico", favicon),
        *api.routes(),
        WebSocketRoute("/ws/offices/{office}", office_socket),
        *login.routes(),
        *counter.routes(),
        *kiosk.routes(),
        *booking.routes(),
        *manage.routes(),
        *province.routes(),
        *board.routes(),
        Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
        Mount("/display/static", StaticFiles(directory=display.STATIC), name="display-static"),
    ]
    middleware = [
        Middleware(RequestIds),
        Middleware(UnexpectedErrors),
        Middleware(BodyDeadline, timeout_s=config.server.body_timeout_s),
        Middleware(
            ApiAwareSessions,
            secret_key=session_key(config.server.data_dir),
            session_cookie=SESSION_COOKIE,
            max_age=12 * 3600,
            same_site="lax",
            https_only=(
                config.server.public_url.startswith("https://")
                if config.server.public_url
                else None
            ),
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=wiring.lifespan(config, clock),
        exception_handlers={**HANDLERS, Exception: internal_error},
    )
