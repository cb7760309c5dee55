"""How the server writes: an answer's head and body leave in one write (web/server.py)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx

from queue_server.store.connection import EmbeddedRedis
from queue_server.web.server import CoalescingTransport
from tests.support.server import ServeProcess


def writes(pid: int) -> int:
    """The write system calls the main thread of a process made so far (Linux I/O
    accounting; other threads build voice clips at start-up)."""
    io = Path(f"/proc/{pid}/task/{pid}/io").read_text()
    found = re.search(r"^syscw: (\d+)$", io, re.MULTILINE)
    assert found is not None
    return int(found.group(1))


def test_an_answer_leaves_in_one_write(r: Any, redis_server: EmbeddedRedis, tmp_path: Path) -> None:
    """As an operator runs it (uvloop, whose sockets are written with write(2))."""
    server = ServeProcess(tmp_path, redis_server.url())
    server.start("--no-access-log")
    try:
        assert server.proc is not None
        with httpx.Client(base_url=server.url) as http:  # one keep-alive connection
            assert http.get("/api/v1/noop").json() == {"ok": True}
            before = writes(server.proc.pid)
            for _ in range(100):
                assert http.get("/api/v1/noop").status_code == 200
            written = writes(server.proc.pid) - before
    finally:
        server.stop()
    # uvicorn writes the head and the body apart: 200 writes without the coalescing.
    assert 100 <= written < 120, written


async def test_close_sends_what_is_buffered_first() -> None:
    loop = asyncio.get_running_loop()

    class Talk(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            out = CoalescingTransport(transport, loop)
            out.write(b"xin ")
            out.writelines([b"ch", bytearray(b"\xc3\xa0o")])
            out.write(b"")
            out.close()  # in the same turn: nothing was sent yet

    server = await loop.create_server(Talk, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert (await asyncio.wait_for(reader.read(), 5)).decode() == "xin chào"
    writer.close()
    server.close()
    await server.wait_closed()
