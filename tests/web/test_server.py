"""How the server runs (web/server.py): an answer's head and body leave in one write; it may
hold as many sockets as the system lets it."""

from __future__ import annotations

import asyncio
import json
import re
import resource
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

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


def open_files(pid: int) -> tuple[int, int]:
    """A process's soft and hard limits of open files."""
    limits = Path(f"/proc/{pid}/limits").read_text()
    found = re.search(r"^Max open files\s+(\d+)\s+(\d+)", limits, re.MULTILINE)
    assert found is not None
    return int(found.group(1)), int(found.group(2))


async def test_serve_holds_more_sockets_than_the_soft_limit_it_started_with(
    r: Any, redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    """Started from a shell or a systemd service (soft limit 1,024 open files), a province's
    process would refuse boards past the thousandth: `serve` raises its soft limit to the
    hard one. Here it starts with 200 and holds 300 boards."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 1000:
        pytest.skip("the hard limit of open files is too low to show it")
    server = ServeProcess(tmp_path, redis_server.url())
    server.start("--no-access-log", open_files=200)
    boards = []
    try:
        assert server.proc is not None
        soft, hard = open_files(server.proc.pid)
        assert soft == hard > 200
        url = server.url.replace("http://", "ws://") + f"/ws/offices/{server.slugs[0]}"
        for _ in range(3):
            batch = await asyncio.gather(*(connect(url) for _ in range(100)))
            boards += batch
            for board in batch:
                assert json.loads(await board.recv())["type"] == "snapshot"
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/healthz")).json()["clients"] == 300
    finally:
        await asyncio.gather(*(b.close() for b in boards))
        server.stop()
