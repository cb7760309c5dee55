"""Every log line of a request knows the request: its id, office, route, status and
duration; and no log line carries a secret.

`RequestIds`, the outermost middleware, gives each request and WebSocket handshake an id:
the client's `X-Request-Id` when it is sane (1 to 128 of `A-Z a-z 0-9 . _ : -`), else a new
one. The id goes back in the answer's `X-Request-Id` header. It sits in a context variable
for as long as the request runs, so any line logged on its behalf (the application's,
uvicorn's access line, written when the answer starts) finds it: `RequestFields`, a filter
on the log handlers, puts it on the record with the rest. The same filter writes
`token=`, `password=` and `access_token=` values in a line as `[redacted]` (board and
kiosk addresses carry a device's token in their query string, and uvicorn logs the whole
address). `JsonLines` writes a record as one JSON object a line (`serve --log-format
json`).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOG_FORMATS = ("text", "json")

_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_SECRET = re.compile(r"((?:access_token|token|password)=)[^&\s\"']+", re.IGNORECASE)
REDACTED = "[redacted]"


class RequestContext:
    """What the log knows of the request being served. The scope is the one the router
    fills in, so the route and the office are known once the request has been routed."""

    __slots__ = ("id", "scope", "start", "status")

    def __init__(self, request_id: str, scope: Scope) -> None:
        self.id = request_id
        self.scope = scope
        self.start = time.perf_counter()
        self.status: int | None = None

    def route(self) -> str | None:
        route = self.scope.get("route")
        path = getattr(route, "path", None)
        return path if isinstance(path, str) else None

    def office(self) -> str | None:
        params = self.scope.get("path_params") or {}
        office = params.get("office")
        if isinstance(office, str):
            return office
        ticket = params.get("id")
        if isinstance(ticket, str) and "." in ticket:
            return ticket.partition(".")[0]
        return None

    def duration_ms(self) -> float:
        return round((time.perf_counter() - self.start) * 1000, 2)


CURRENT: ContextVar[RequestContext | None] = ContextVar("sothutu_request", default=None)


def request_id(scope: Scope) -> str:
    """The client's `X-Request-Id` when it is sane, else a new one (16 hex digits)."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            if _SANE_ID.fullmatch(value):
                sent: str = value.decode("ascii")
                return sent
            break
    return secrets.token_hex(8)


class RequestIds:
    """Sets the request's `RequestContext` while it runs; answers with its `X-Request-Id`.
    Pure ASGI: a context variable and a header, nothing read or buffered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        context = RequestContext(request_id(scope), scope)
        header = (b"x-request-id", context.id.encode("ascii"))

        async def sending(message: Message) -> None:
            kind = message["type"]
            if kind in ("http.response.start", "websocket.http.response.start"):
                context.status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            elif kind == "websocket.accept":
                context.status = 101
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = CURRENT.set(context)
        try:
            await self.app(scope, receive, sending)
        finally:
            CURRENT.reset(token)


def redact(text: str) -> str:
    return _SECRET.sub(lambda m: m.group(1) + REDACTED, text)


class RequestFields(logging.Filter):
    """On every handler: the record gets `request_id`, `office`, `route`, `status` and
    `duration_ms` (None outside a request), and its message loses any secret value."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = CURRENT.get()
        if context is None:
            record.request_id = record.office = record.route = None
            record.status = record.duration_ms = None
        else:
            record.request_id = context.id
            record.office = context.office()
            record.route = context.route()
            record.status = context.status
            record.duration_ms = context.duration_ms()
        if isinstance(record.args, tuple) and record.args:
            # Argument by argument: uvicorn's access formatter reads its record's arguments.
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed call: the handler reports it as logging does
        clean = redact(message)
        if clean != message:  # a secret in the message itself: the line as written
            record.msg, record.args = clean, ()
        return True


class JsonLines(logging.Formatter):
    """A record as one JSON object on one line: time (UTC, ISO 8601), level, logger,
    message, request_id, office, route, status, duration_ms, and a traceback as
    `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ("request_id", "office", "route", "status", "duration_ms"):
            line[field] = getattr(record, field, None)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


class TextLines(logging.Formatter):
    """The application's text lines, as before; a traceback's secrets redacted too."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))


def configure_root(log_format: str) -> None:
    """The root logger's handlers (the application's lines) get `RequestFields`, and in
    json mode `JsonLines`; uvicorn's own loggers are set by `web.server.log_config`."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestFields())
        handler.setFormatter(JsonLines() if log_format == "json" else TextLines())
