"""How sothutu runs under uvicorn, in one place for the command line, tests and benchmarks."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import resource
from http import HTTPStatus
from types import FrameType
from typing import Any

import uvicorn
import uvicorn.config
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from queue_server.config import HeadLimits
from queue_server.web.http.errors import error_body
from queue_server.web.http.request_log import JsonLines, RequestFields


class CoalescingTransport:
    """A connection's transport whose writes within one turn of the event loop go out as
    one write, at the start of the next turn.

    uvicorn writes a response's head and its body separately, and uvloop sends each at
    once: two system calls and two TCP segments for every answer, where a write to a socket
    is the dearest thing a request does (docs/BENCHMARKS.md, session 3). Everything else is
    the real transport's; closing sends what is buffered first.
    """

    __slots__ = ("_chunks", "_direct", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._chunks: list[bytes] = []
        self._direct = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if self._direct:
            self._transport.write(data)
            return
        if not self._chunks:
            self._loop.call_soon(self._flush)
        self._chunks.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        chunks, self._chunks = self._chunks, []
        if chunks and not self._transport.is_closing():
            self._transport.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        # An upgrade to WebSocket: each frame is one write already, and a board's call
        # should leave at once rather than after every other board's (a broadcast wakes a
        # thousand sockets in one turn).
        self._flush()
        self._direct = True
        self._transport.set_protocol(protocol)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing through a `CoalescingTransport`, and refusing a
    request whose head passes `limits` with 431 (414 for the request line), or does not
    arrive in full within `limits.timeout_s` of its first byte with 408.

    Neither uvicorn nor httptools bounds a head (a 1 MB header value, 5,000 headers were
    taken), and httptools keeps a header line whole before handing it over. So the bytes
    read while a head is incomplete are counted before they reach the parser: what is kept
    of a head is at most `total_bytes` and one read. Lines, fields and the head's size are
    checked as the parser hands them over; once refused, nothing more is parsed or
    answered."""

    limits = HeadLimits()

    @classmethod
    def limited(cls, limits: HeadLimits) -> type[HttpProtocol]:
        return type("HttpProtocol", (cls,), {"limits": limits})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing: Any = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)
        self._in_head = True  # until a head's end; again after its message's end
        self._head_bytes = 0
        self._url_bytes = self._fields_bytes = 0
        self._refusal: int | None = None
        self._english = False
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        # A head trickling in a byte at a time would hold the connection for ever: uvicorn's
        # keep-alive timeout stops counting at the first byte of a request.
        self._head_timer = None
        if self._in_head and self._refusal is None:
            self._refusal = 408
            self._refuse()

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return  # read and dropped, so the answer is not lost to a reset
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(self.limits.timeout_s, self._head_too_slow)
        super().data_received(data)
        if self._refusal is None and self._in_head and self._head_bytes > self.limits.total_bytes:
            self._refusal = 431
        if self._refusal is not None:
            self._refuse()

    def handle_websocket_upgrade(self) -> None:
        if self._refusal is None:
            super().handle_websocket_upgrade()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._url_bytes = self._fields_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self.limits.line_bytes:
            self._refusal = self._refusal or 414
            return
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refusal is not None:
            return
        line = len(name) + len(value) + 4  # ": " and CRLF
        self._fields_bytes += line
        if (
            line > self.limits.line_bytes
            or len(self.headers) >= self.limits.count
            or self._url_bytes + self._fields_bytes > self.limits.total_bytes
        ):
            self._refusal = 431
            return
        if name.lower() == b"accept-language" and value.lower().startswith(b"en"):
            self._english = True
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._stop_head_timer()
        if self._refusal is None:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._refusal is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._in_head = True
        if self._refusal is None:
            super().on_message_complete()

    def _refuse(self) -> None:
        """The refusal, then a lingering close (as nginx does): what the client is still
        sending is read and dropped for a moment, since closing with unread data would
        reset the connection and could take the answer with it."""
        if self.transport.is_closing():
            return
        status = self._refusal or 431
        self.logger.info("request head refused with %d: %s", status, _HEAD_TEXT[status][1])
        code, en, vi = _HEAD_TEXT[status]
        body = json.dumps(error_body(code, en if self._english else vi), ensure_ascii=False)
        raw = body.encode()
        head = [b"HTTP/1.1 %d %s\r\n" % (status, HTTPStatus(status).phrase.encode())]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\n" % len(raw))
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + raw)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)


LINGER_S = 2.0

_HEAD_TEXT = {
    408: ("request_timeout", "the request's head did not arrive in time",
          "Yêu cầu gửi đến quá chậm, xin thử lại."),
    414: ("uri_too_long", "the request's address is too long",
          "Địa chỉ yêu cầu quá dài."),
    431: ("headers_too_large", "the request's headers are too large or too many",
          "Phần đầu (header) của yêu cầu quá lớn hoặc quá nhiều."),
}  # fmt: skip


class ClientErrorLines(logging.Filter):
    """Turns uvicorn's ERROR with a traceback for invalid UTF-8 in a client's text frame
    into one INFO line. uvicorn already answers it rightly (close code 1007); the traceback
    is of the client's bytes, not of a fault here. Only that record is changed: the
    message uvicorn writes for it, with a UnicodeDecodeError attached."""

    MESSAGE = "Invalid UTF-8 sequence received from client."

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.msg == self.MESSAGE
            and record.exc_info is not None
            and isinstance(record.exc_info[1], UnicodeDecodeError)
        ):
            record.msg = "websocket: invalid UTF-8 in a text frame, closed with 1007"
            record.args = ()
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True


def log_config(log_format: str = "text") -> dict[str, Any]:
    """uvicorn's own logging configuration, with `ClientErrorLines` on its error logger,
    `RequestFields` on its handlers (request fields, secrets redacted) and, for
    `log_format` "json", `JsonLines` as their formatter."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    filters = config.setdefault("filters", {})
    filters["client_errors"] = {"()": ClientErrorLines}
    filters["request_fields"] = {"()": RequestFields}
    error_logger = config["loggers"].setdefault("uvicorn.error", {})
    error_logger["filters"] = [*error_logger.get("filters", []), "client_errors"]
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "request_fields"]
    if log_format == "json":
        for name in config["formatters"]:
            config["formatters"][name] = {"()": JsonLines}
    return config


def raise_open_files_limit() -> int:
    """Raises the process's soft limit of open files to its hard limit; returns the limit.

    A login shell or a systemd service starts a process with a soft limit of 1,024 (the hard
    one far higher: 524,288 under systemd), kept low for old programs that wait with
    `select()`. The server waits with epoll, and a province's process holds a socket for
    every board, counter and kiosk it serves: at 1,024 it would refuse the thousandth.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # an unlimited hard limit above the kernel's nr_open
            pass
    return soft


class Server(uvicorn.Server):
    """uvicorn's server, telling the app at the first signal to stop (SIGTERM, Ctrl-C):
    `/readyz` answers 503 from then on. uvicorn then stops listening, answers the requests
    in flight (for up to `timeout_graceful_shutdown`), closes idle connections and every
    WebSocket with 1012 "service restart" (boards and consoles reconnect by themselves, to
    this server once it is back or to another behind the same address), and only then runs
    the lifespan's end (print drivers: web/wiring.py, docs/operations.md)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        readiness = getattr(getattr(self.config.app, "state", None), "readiness", None)
        if readiness is not None:
            readiness.shutting_down = True
        super().handle_exit(sig, frame)


def uvicorn_config(
    app: ASGIApp,
    host: str,
    port: int,
    log_level: str = "info",
    access_log: bool = True,
    limits: HeadLimits | None = None,
    log_format: str = "text",
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=log_config(log_format),
        access_log=access_log,
        # The sans-I/O websockets protocol: no deprecated legacy API, less memory per socket.
        ws="websockets-sansio",
        # No permessage-deflate: its zlib state would be most of the memory an idle board's
        # socket takes, and boards get small events on a local network (docs/BENCHMARKS.md,
        # session 2).
        ws_per_message_deflate=False,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        lifespan="on",
        http=HttpProtocol.limited(limits or HeadLimits()),
        timeout_graceful_shutdown=5,
    )
