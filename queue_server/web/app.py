"""The Starlette application: routes, error table and the lifespan that owns resources."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from display import board
from queue_server.config import Config
from queue_server.rules.calendar import statutory_holidays
from queue_server.services.appointments import AppointmentService
from queue_server.services.auth import AuthService
from queue_server.services.clock import Clock
from queue_server.services.notify import OutboxSender, adapter_from_url
from queue_server.services.offices import OfficeRegistry
from queue_server.services.printing import PrintService, ServerDrivers
from queue_server.services.queue import QueueService
from queue_server.services.scheduler import Jobs, Scheduler
from queue_server.store.accounts import Accounts
from queue_server.store.bookings import BookingStore
from queue_server.store.connection import RedisHandle
from queue_server.store.printjobs import PrintJobs
from queue_server.store.queue import Event, QueueStore
from queue_server.web import api, booking, counter, kiosk, manage, pages, printers
from queue_server.web import ratings as rating_pages
from queue_server.web import reports as report_pages
from queue_server.web.body_deadline import BodyDeadline
from queue_server.web.errors import HANDLERS, UnexpectedErrors, internal_error
from queue_server.web.hub import Hub
from queue_server.web.pages import WEB
from queue_server.web.secrets_file import session_key
from queue_server.web.ws import office_socket

log = logging.getLogger("sothutu")
SESSION_COOKIE = "sothutu_session"


async def healthz(request: Request) -> Response:
    try:
        # Quicker than the client's retries, so a monitor learns of an outage at once.
        await asyncio.wait_for(request.app.state.redis.ping(), 1.0)
    except (redis.RedisError, TimeoutError) as exc:
        return JSONResponse({"status": "error", "redis": str(exc) or "timeout"}, 503)
    return JSONResponse({"status": "ok", "clients": request.app.state.hub.clients()})


async def favicon(request: Request) -> Response:
    # Browsers ask for it on every page, whatever the page links; the pages link the SVG.
    return FileResponse(
        WEB / "static" / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


async def freeze_long_lived(settle_s: float = 10.0) -> None:
    """Moves what start-up built (modules, config, templates, calendars, voice clips: some
    65,000 objects) out of the garbage collector's way, at once and again when the lazy
    start-up work has settled. A full collection over them took ~50 ms on the 2-core box,
    every few seconds under load: most of the p99 of issuing a ticket (docs/BENCHMARKS.md).
    Frozen objects are still freed by reference counting; only cycles among them stay."""
    for delay in (0.0, settle_s):
        await asyncio.sleep(delay)
        gc.collect()
        gc.freeze()


class ApiAwareSessions(SessionMiddleware):
    """Sessions for pages, and for API calls that carry the session cookie (page scripts).
    A bare API client (kiosk, board, agent, script) sends no cookie and skips the signing
    work, which is a tenth of the cost of issuing a ticket.

    `https_only=None`: the cookie is marked Secure when the request came over https (no
    `server.public_url` to say which scheme the offices use)."""

    def __init__(self, app: ASGIApp, /, *, https_only: bool | None, **options: Any) -> None:
        super().__init__(app, https_only=bool(https_only), **options)
        self.follow_scheme = https_only is None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"].startswith("/api/"):
            cookie = next((v for k, v in scope["headers"] if k == b"cookie"), b"")
            if self.session_cookie.encode() not in cookie:
                await self.app(scope, receive, send)
                return
        if self.follow_scheme and scope.get("scheme") in ("https", "wss"):
            send = _secure_cookies(send)
        await super().__call__(scope, receive, send)


def _secure_cookies(send: Send) -> Send:
    async def secure(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                (k, v + b"; secure" if k == b"set-cookie" and b"; secure" not in v else v)
                for k, v in message.get("headers", [])
            ]
        await send(message)

    return secure


def create_app(config: Config, *, clock: Clock | None = None) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        warning = config.server.address_warning(str(config.path))
        if warning:
            log.warning("%s", warning)
        handle = RedisHandle(config.redis, config.server.data_dir)
        client = await handle.start()
        store = QueueStore(client)
        offices = OfficeRegistry(config)
        await offices.load(client)
        queue = QueueService(config, store, clock, offices)

        async def reload_office(event: Event) -> None:
            await offices.refresh(client, event.office)
            office = offices.get(event.office)
            if office is not None:  # counters may serve other fields now
                await store.sync_open_counters(office)

        hub = Hub(store)
        hub.listen("office.config_changed", reload_office)
        app.state.config = config
        app.state.offices = offices
        app.state.redis = client
        app.state.store = store
        app.state.queue = queue
        app.state.auth = AuthService(Accounts(client))
        app.state.hub = hub
        for office in config.offices:
            await hub.watch(office.slug)
            await store.sync_open_counters(offices.get(office.slug) or office)
            expired = await queue.start_day(office.slug)
            if expired:
                log.info("%s: %d tickets of earlier days cancelled", office.slug, expired)
        supervisor = asyncio.create_task(handle.supervise(), name="sothutu-redis-supervisor")
        app.state.printing = printing = PrintService(config, PrintJobs(client), queue, clock)
        # One task per network printer; across processes a Redis lock picks the one driving.
        # They follow the offices as managers change them (after the registry reloaded).
        drivers = ServerDrivers(printing)
        hub.listen("office.config_changed", drivers.on_event)
        drivers.sync()
        app.state.appointments = appointments = AppointmentService(
            config, BookingStore(client), queue, clock, people=app.state.auth
        )
        outbox = OutboxSender(client, adapter_from_url(config.notify_url))
        jobs = Jobs(config, appointments, outbox)
        # Whether this process runs the scheduler or not, the gate is right from the first
        # request: the scheduler moves it only when a boundary passes.
        await jobs.sync_gates(queue.clock.now_ms())

        async def follow_calendar(event: Event) -> None:
            await jobs.follow_change(event.office, queue.clock.now_ms())

        hub.listen("office.config_changed", follow_calendar)  # after reload_office
        scheduler = Scheduler(client, jobs, queue.clock)
        scheduler.start()
        # Boards show calls while the clips are still being built; only the voice waits.
        clips = asyncio.create_task(
            board.build_default_clips(config.server.data_dir), name="sothutu-voice-clips"
        )
        # The holidays package imports every country's module on first use (~0.3 s, 10,000
        # objects): do it now, before serving, rather than in the middle of a busy morning.
        this_year = datetime.now().year
        for year in (this_year, this_year + 1):
            statutory_holidays(year)
        freezer = asyncio.create_task(freeze_long_lived(), name="sothutu-gc-freeze")
        try:
            yield {}
        finally:
            freezer.cancel()
            await scheduler.stop()
            await drivers.close()
            clips.cancel()
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await clips
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
            await hub.close()
            await handle.stop()

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/favicon.ico", favicon),
        *api.routes(),
        WebSocketRoute("/ws/offices/{office}", office_socket),
        *pages.routes(),
        *counter.routes(),
        *kiosk.routes(),
        *booking.routes(),
        *manage.routes(),
        *rating_pages.routes(),
        *report_pages.routes(),
        *printers.routes(),
        *board.routes(),
        Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
        Mount("/display/static", StaticFiles(directory=board.STATIC), name="display-static"),
    ]
    middleware = [
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
        lifespan=lifespan,
        exception_handlers={**HANDLERS, Exception: internal_error},
    )
