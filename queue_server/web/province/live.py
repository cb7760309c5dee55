"""`/province`: every office now, one row each, and its socket `/ws/province`.

The page renders the rows once; the socket sends every row again on connecting (a
snapshot: the page may have missed a change meanwhile, and a reconnecting page catches up)
and then each office's fresh row when its events arrive (`services/province.py`,
`ProvinceFeed`: at most one row per office a second). A row comes as data and as the same
HTML the page was rendered with (`province/row.html`), so there is one renderer for the
first view and the live one. Between rows the page's script keeps the longest waits
growing and marks an office as its waits pass the target.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from queue_server.errors import Forbidden, Unauthorized
from queue_server.services.auth import require_admin
from queue_server.services.province import FeedListener, OfficeRow
from queue_server.web.http.errors import language
from queue_server.web.http.requests import principal
from queue_server.web.http.templates import page_admin, render, templates
from queue_server.web.i18n import translate
from queue_server.web.wiring import services

log = logging.getLogger("sothutu.province")


def wait_text(seconds: int | None, lang: str) -> str:
    """A wait as the table shows it: "—" when nobody waits, "dưới 1 phút", "75 phút"."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return translate("province.under_minute", lang)
    return f"{seconds // 60} {translate('minutes', lang)}"


def number_text(value: float | None, lang: str, digits: int = 1) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "vi" else text


def _row_context(lang: str) -> dict[str, Any]:
    return {
        "t": lambda key: translate(key, lang),
        "lang": lang,
        "wait": lambda s: wait_text(s, lang),
        "num": lambda v, d=1: number_text(v, lang, d),
    }


def row_html(row: OfficeRow, lang: str) -> str:
    """The table row of an office, as on the page."""
    template = templates.env.get_template("province/row.html")
    return template.render(row=row, **_row_context(lang))


async def province_page(request: Request) -> Response:
    who = await page_admin(request)
    if isinstance(who, Response):
        return who
    found = services(request)
    rows = await found.province.overview()
    lang = language(request)
    context = {
        **_row_context(lang),
        "rows": rows,
        "user": who.name,
        "active": "live",
        "heartbeat": found.config.server.heartbeat_s,
        "now_ms": found.queue.clock.now_ms(),
    }
    return render(request, "province/live.html", context)


def _message(kind: str, row: OfficeRow, lang: str) -> dict[str, Any]:
    return {"type": kind, "row": row.to_json(), "html": row_html(row, lang)}


async def province_socket(ws: WebSocket) -> None:
    """Admin only (the session cookie or a bearer token): 4401 without one, 4403 for others."""
    await ws.accept()
    try:
        require_admin(await principal(ws))
    except Unauthorized:
        await ws.close(code=4401, reason="log in as a province admin")
        return
    except Forbidden:
        await ws.close(code=4403, reason="for province admins only")
        return
    found = services(ws)
    lang = language(ws)
    feed = found.province_feed
    # Joined before the overview is read: a change after the read comes as a row.
    listener = await feed.join()
    try:
        rows = await found.province.overview()
        await ws.send_text(
            json.dumps(
                {
                    "type": "snapshot",
                    "now_ms": found.queue.clock.now_ms(),
                    "rows": [_message("office", r, lang) for r in rows],
                },
                ensure_ascii=False,
            )
        )
        await _live(ws, listener, lang, found.config.server.heartbeat_s, found.queue.clock.now_ms)
    except WebSocketDisconnect:
        pass
    finally:
        feed.leave(listener)


async def _live(
    ws: WebSocket, listener: FeedListener, lang: str, heartbeat_s: float, now: Callable[[], int]
) -> None:
    """Rows to the page and pings both ways: this task reads the page, `_forward` writes."""
    forward = asyncio.create_task(_forward(ws, listener, lang, heartbeat_s, now))
    try:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while not forward.done():
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text") or ""
                if len(text) < 200 and '"ping"' in text:
                    await ws.send_text('{"type":"pong"}')
    finally:
        forward.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await forward


async def _forward(
    ws: WebSocket, listener: FeedListener, lang: str, heartbeat_s: float, now: Callable[[], int]
) -> None:
    while True:
        try:
            async with asyncio.timeout(heartbeat_s):
                rows = await listener.take()
        except TimeoutError:
            await ws.send_text('{"type":"ping"}')
            continue
        if rows is None:  # shutting down: the page reconnects to another process
            await ws.close(code=1001)
            return
        for row in rows:
            message = {**_message("office", row, lang), "now_ms": now()}
            await ws.send_text(json.dumps(message, ensure_ascii=False))


def routes() -> list[BaseRoute]:
    return [
        Route("/province", province_page),
        WebSocketRoute("/ws/province", province_socket),
    ]
