"""How sothutu runs under uvicorn, in one place for the command line, tests and benchmarks."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


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

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing through a `CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing: Any = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)


def uvicorn_config(
    app: ASGIApp, host: str, port: int, log_level: str = "info", access_log: bool = True
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
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
        http=HttpProtocol,
        timeout_graceful_shutdown=5,
    )
