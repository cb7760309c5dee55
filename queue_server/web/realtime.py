"""WebSocket `/ws/offices/{office}`: a snapshot or the missed events, then live events.

A client reconnecting with `?since=<last id it saw>` gets exactly the events after that id,
or a fresh snapshot when that id is older than the stream keeps (or unknown). Heartbeat
both ways: the server sends `ping` every `server.heartbeat_s`; a client `{"type": "ping"}`
gets `{"type": "pong"}`. Clients without a staff or display token get the public form
(no ticket ids).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from queue_server.errors import Gone, NotFound
from queue_server.people import Principal
from queue_server.rules.visibility import redact
from queue_server.services.auth import LAST_SEEN_EVERY_MS, AuthService
from queue_server.services.hub import Hub, Subscription
from queue_server.services.queue import QueueService
from queue_server.web.http.requests import principal
from queue_server.web.wiring import services

log = logging.getLogger("sothutu.ws")
STREAM_ID_RE = re.compile(r"^\d{1,20}-\d{1,20}$")
BACKLOG_PAGE = 1000


def _id_tuple(eid: str) -> tuple[int, int]:
    ms, _, seq = eid.partition("-")
    return int(ms), int(seq or 0)


async def office_socket(ws: WebSocket) -> None:
    service: QueueService = services(ws).queue
    hub: Hub = services(ws).hub
    slug = ws.path_params["office"]
    await ws.accept()
    try:
        service.office(slug)
    except NotFound:
        await ws.close(code=4404, reason="unknown office")
        return
    except Gone:
        await ws.close(code=4410, reason="office closed")
        return
    who = await principal(ws)
    if who is not None and not _of_office(who, slug):
        # Another office's staff or device: their token says nothing here.
        await ws.close(code=4403, reason="this token is of another office")
        return
    public = who is None or (who.kind == "device" and who.role not in ("display", "kiosk"))
    sub = await hub.subscribe(slug)
    seen = None
    if who is not None and who.kind == "device":
        seen = asyncio.create_task(_keep_seen(services(ws).auth, who.name))
    try:
        last = await _catch_up(ws, service, slug, ws.query_params.get("since"), public)
        await _live(ws, sub, last, public, services(ws).config.server.heartbeat_s)
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(sub)
        if seen is not None:
            seen.cancel()


def _of_office(who: Principal, slug: str) -> bool:
    """A user with a role in the office, or a device bound to it (or to none)."""
    if who.kind == "device":
        return who.office in (None, slug)
    return who.role_in(slug) is not None


async def _keep_seen(auth: AuthService, name: str) -> None:
    # A board keeps one socket open for days: it is "seen" as long as it stays connected.
    while True:
        await asyncio.sleep(LAST_SEEN_EVERY_MS / 1000)
        await auth.seen(name)


async def _send(ws: WebSocket, message: dict[str, Any], public: bool) -> None:
    await ws.send_text(json.dumps(redact(message) if public else message, ensure_ascii=False))


async def _catch_up(
    ws: WebSocket, service: QueueService, slug: str, since: str | None, public: bool
) -> str:
    """Sends what the client missed, or a snapshot; returns the last id sent."""
    if since is not None and STREAM_ID_RE.match(since) and await service.replayable(slug, since):
        last = since
        while True:
            events = await service.events_after(slug, last, BACKLOG_PAGE)
            for event in events:
                await _send(ws, event.to_json(), public)
                last = event.id
            if len(events) < BACKLOG_PAGE:
                return last
    snapshot = await service.snapshot(slug)
    last = str(snapshot["last_event"])
    await _send(ws, {"id": last, "type": "snapshot", "office": slug, "data": snapshot}, public)
    return last


async def _live(
    ws: WebSocket, sub: Subscription, last: str, public: bool, heartbeat_s: float
) -> None:
    """Events to the client, pings both ways. Two tasks per socket, the least that waits on
    both the client and the hub: this one reads the client, `_forward` writes to it."""
    forward = asyncio.create_task(_forward(ws, sub, _id_tuple(last), public, heartbeat_s))
    try:
        # The loop ends when the client leaves or the forwarder closed the socket.
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while not forward.done():
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None:  # a binary frame: the protocol is JSON in text frames
                    log.info("websocket %s: binary frame, closed with 1003", ws.url.path)
                    await ws.close(code=1003, reason="text frames only")
                    return
                if len(text) < 200 and '"ping"' in text:
                    await ws.send_text('{"type":"pong"}')
    finally:
        forward.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await forward


async def _forward(
    ws: WebSocket, sub: Subscription, last_t: tuple[int, int], public: bool, heartbeat_s: float
) -> None:
    while True:
        try:
            # A timer rather than wait_for: no task per wait on an idle board.
            async with asyncio.timeout(heartbeat_s):
                out = await sub.queue.get()
        except TimeoutError:
            await ws.send_text('{"type":"ping"}')
            continue
        if out is None:  # overflow or shutdown: the client reconnects and resyncs
            await ws.close(code=4000 if sub.overflowed else 1001)
            return
        eid = _id_tuple(out.event.id)
        if eid <= last_t:
            continue  # already sent in the catch-up
        last_t = eid
        await ws.send_text(out.text(public))
