"""Broken and hostile clients, over raw sockets, against `python -m queue_server serve`: each
gets a clean answer (a close code, 408, 431) and the server's log gets one line, never a
traceback."""

from __future__ import annotations

import asyncio
import json
import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from queue_server.config import HeadLimits
from queue_server.web.http.body_deadline import BodyDeadline
from tests.conftest import OFFICE
from tests.support.server import ServeProcess, ServerThread

BODY_TIMEOUT_S = 1.0
HEAD_TIMEOUT_S = 1.5
HANDSHAKE = (
    f"GET /ws/offices/{OFFICE} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
)
TICKETS = f"/api/v1/offices/{OFFICE}/tickets"
ACCESS = re.compile(r' - "(WebSocket /|[A-Z]+ /.* HTTP/1\.1")')


class Log:
    """The server's log as an operator reads it (its standard error), from a mark on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.mark = 0

    def text(self) -> str:
        return self.path.read_bytes()[self.mark :].decode()

    def since_mark(self, expected: str | None, timeout: float = 5.0) -> list[str]:
        """The lines logged since the mark, once one holds `expected` (then a moment more, for
        anything logged after it), leaving out uvicorn's access and connection lines."""
        deadline = time.monotonic() + timeout
        while expected is not None and expected not in self.text():
            assert time.monotonic() < deadline, f"no {expected!r} in the log:\n{self.text()}"
            time.sleep(0.05)
        time.sleep(0.3)
        text = self.text()
        assert "Traceback" not in text, text
        self.mark += len(text.encode())
        return [
            line
            for line in text.splitlines()
            if line and not ACCESS.search(line) and "connection open" not in line
        ]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Log]]:
    """One server for the module, with its own Redis, the demo config and a short body
    timeout."""
    server = ServeProcess(
        tmp_path_factory.mktemp("hostile"),
        server={"body_timeout_s": BODY_TIMEOUT_S, "head_timeout_s": HEAD_TIMEOUT_S},
    )
    server.start()
    log = Log(server.log)
    log.since_mark("Application startup complete")
    yield "127.0.0.1", server.port, log
    server.stop()
    assert "Traceback" not in server.log.read_text()


@pytest.fixture
def log(served: tuple[str, int, Log]) -> Log:
    return served[2]


@pytest.fixture
async def connect(
    served: tuple[str, int, Log],
) -> Any:
    async def opened() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(served[0], served[1])

    return opened


async def read_all(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.read(), 10)


async def closed(writer: asyncio.StreamWriter) -> None:
    """Closed now: the log is then read with the test's loop blocked."""
    writer.close()
    await writer.wait_closed()


def response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def frame(opcode: int, payload: bytes) -> bytes:
    """A masked, final client frame (payloads under 126 bytes)."""
    mask = b"\x12\x34\x56\x78"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first, second = await asyncio.wait_for(reader.readexactly(2), 5)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    return first & 0x0F, await reader.readexactly(size)


async def board(connect: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A board's socket, past the handshake and its snapshot."""
    reader, writer = await connect()
    writer.write(HANDSHAKE.encode() + b"\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101"), head
    opcode, snapshot = await read_frame(reader)
    assert opcode == 1 and json.loads(snapshot)["type"] == "snapshot"
    return reader, writer


async def close_code(reader: asyncio.StreamReader) -> int:
    while True:
        opcode, payload = await read_frame(reader)
        if opcode == 8:
            code: int = struct.unpack("!H", payload[:2])[0]
            return code


@pytest.mark.parametrize("payload", [b"\x00\x01\x02\x03", b'{"type":"ping"}'])
async def test_a_binary_frame_is_closed_with_1003(connect: Any, log: Log, payload: bytes) -> None:
    reader, writer = await board(connect)
    writer.write(frame(2, payload))
    assert await close_code(reader) == 1003
    await closed(writer)
    lines = log.since_mark("binary frame")
    assert lines == [
        f"INFO sothutu.ws: websocket /ws/offices/{OFFICE}: binary frame, closed with 1003"
    ]


async def test_a_text_frame_still_gets_its_pong(connect: Any, log: Log) -> None:
    reader, writer = await board(connect)
    writer.write(frame(1, b'{"type":"ping"}'))
    while True:
        _, payload = await read_frame(reader)
        if json.loads(payload)["type"] == "pong":
            break
    await closed(writer)


async def test_invalid_utf8_in_a_text_frame_is_closed_with_1007(connect: Any, log: Log) -> None:
    reader, writer = await board(connect)
    writer.write(frame(1, b'{"type":"\xff\xfe"}'))
    assert await close_code(reader) == 1007
    await closed(writer)
    lines = log.since_mark("invalid UTF-8")
    assert lines == ["INFO:     websocket: invalid UTF-8 in a text frame, closed with 1007"]


def post_head(path: str, extra: str, content_type: str = "application/json") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n{extra}\r\n".encode()
    )


async def test_a_client_leaving_mid_body_is_one_info_line(connect: Any, log: Log) -> None:
    _, writer = await connect()
    writer.write(post_head(TICKETS, "Content-Length: 100\r\n") + b'{"field":')
    await writer.drain()
    await asyncio.sleep(0.2)
    await closed(writer)
    lines = log.since_mark("client left")
    assert lines == [f"INFO sothutu: client left during its request: POST {TICKETS}"]


async def test_a_bad_chunk_size_is_a_400_and_no_traceback(connect: Any, log: Log) -> None:
    reader, writer = await connect()
    writer.write(post_head(TICKETS, "Transfer-Encoding: chunked\r\n") + b"zz\r\n{}\r\n")
    status, _, _ = response(await read_all(reader))
    assert status == 400
    await closed(writer)
    # uvicorn's own line for the unparsable request, then ours for the handler it left.
    assert log.since_mark("client left") == [
        "WARNING:  Invalid HTTP request received.",
        f"INFO sothutu: client left during its request: POST {TICKETS}",
    ]


@pytest.mark.parametrize(
    ("path", "content_type", "start"),
    [
        (TICKETS, "application/json", b'{"field":'),
        ("/login", "application/x-www-form-urlencoded", b"username=lan&pass"),
        (TICKETS, "application/json", b""),
    ],
)
async def test_a_body_not_in_full_in_time_is_a_408(
    connect: Any, log: Log, path: str, content_type: str, start: bytes
) -> None:
    reader, writer = await connect()
    t0 = time.monotonic()
    writer.write(post_head(path + "?lang=en", "Content-Length: 100\r\n", content_type) + start)
    status, headers, body = response(await read_all(reader))
    elapsed = time.monotonic() - t0
    await closed(writer)
    assert status == 408 and headers["connection"] == "close"
    assert json.loads(body) == {
        "error": {
            "code": "request_timeout",
            "message": f"the request's body did not arrive within {BODY_TIMEOUT_S:g} s",
        }
    }
    assert BODY_TIMEOUT_S <= elapsed < BODY_TIMEOUT_S + 3
    assert log.since_mark('" 408') == []


async def test_a_slow_body_that_arrives_in_time_is_served(connect: Any, log: Log) -> None:
    reader, writer = await connect()
    body = b'{"field": "HT"}'
    head = post_head(TICKETS, f"Content-Length: {len(body)}\r\nConnection: close\r\n")
    writer.write(head + body[:5])
    await writer.drain()
    await asyncio.sleep(BODY_TIMEOUT_S / 2)
    writer.write(body[5:])
    status, _, answer = response(await read_all(reader))
    await closed(writer)
    assert status in (201, 409), answer  # 409: the demo office's calendar is closed now


def test_a_complete_body_leaves_later_reads_untimed() -> None:
    """A handler that waits for the client to leave after reading the whole body (as a
    streaming answer does) is not cut by the body's deadline."""
    seen: list[str] = []

    async def echo_then_wait(request: Request) -> Response:
        body = await request.body()
        try:
            async with asyncio.timeout(0.6):
                seen.append((await request.receive())["type"])
        except TimeoutError:
            seen.append("still waiting")
        return PlainTextResponse(body)

    app = Starlette(routes=[Route("/", echo_then_wait, methods=["POST"])])
    server = ServerThread(BodyDeadline(app, timeout_s=0.2))
    base = server.start()
    try:
        assert httpx.post(base, content=b"whole").text == "whole"
    finally:
        server.stop()
    assert seen == ["still waiting"]


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"X-Big: " + b"a" * (1 << 20) + b"\r\n", 431),
        (b"".join(b"X-%d: 1\r\n" % i for i in range(5000)), 431),
        (b"Authorization: Bearer " + b"a" * 10_000 + b"\r\n", 431),
        (b"".join(b"X-%d: %s\r\n" % (i, b"a" * 4000) for i in range(9)), 431),  # 36 KB
    ],
)
async def test_oversized_heads_are_refused_with_431(
    connect: Any, log: Log, head: bytes, status: int
) -> None:
    reader, writer = await connect()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\n" + head + b"\r\n")
    got, headers, body = response(await read_all(reader))
    await closed(writer)
    assert got == status and headers["connection"] == "close"
    assert json.loads(body) == {
        "error": {
            "code": "headers_too_large",
            "message": "the request's headers are too large or too many",
        }
    }
    assert log.since_mark("refused") == [
        "INFO:     request head refused with 431: the request's headers are too large or too many"
    ]


async def test_a_head_sent_a_byte_at_a_time_is_a_408(connect: Any, log: Log) -> None:
    """Slowloris: a head that keeps trickling in is cut off at head_timeout_s from its first
    byte, although each byte comes well within any idle timeout."""
    reader, writer = await connect()
    t0 = time.monotonic()
    writer.write(b"GET /healthz HTTP/1.1\r\nAccept-Language: en\r\n")
    answer = asyncio.ensure_future(read_all(reader))
    for byte in b"X-Slow: " + b"a" * 100:
        if answer.done():
            break
        writer.write(bytes([byte]))
        await asyncio.sleep(0.2)
    status, headers, body = response(await answer)
    elapsed = time.monotonic() - t0
    await closed(writer)
    assert status == 408 and headers["connection"] == "close"
    assert json.loads(body)["error"] == {
        "code": "request_timeout",
        "message": "the request's head did not arrive in time",
    }
    assert HEAD_TIMEOUT_S <= elapsed < HEAD_TIMEOUT_S + 3
    assert log.since_mark("refused") == [
        "INFO:     request head refused with 408: the request's head did not arrive in time"
    ]


async def test_a_long_request_line_is_refused_with_414(connect: Any, log: Log) -> None:
    reader, writer = await connect()
    writer.write(b"GET /healthz?" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, body = response(await read_all(reader))
    await closed(writer)
    assert status == 414 and json.loads(body)["error"]["code"] == "uri_too_long"
    assert len(log.since_mark("refused")) == 1


async def test_a_websocket_handshake_with_a_huge_header_is_refused_with_431(
    connect: Any, log: Log
) -> None:
    reader, writer = await connect()
    writer.write(HANDSHAKE.encode() + b"Authorization: Bearer " + b"a" * 10_000 + b"\r\n\r\n")
    status, _, _ = response(await read_all(reader))
    await closed(writer)
    assert status == 431
    assert len(log.since_mark("refused")) == 1


async def test_heads_within_the_limits_are_served(connect: Any, log: Log) -> None:
    limits = HeadLimits()
    line = b"X-Ok: " + b"a" * (limits.line_bytes - 100) + b"\r\n"
    many = b"".join(b"X-%d: 1\r\n" % i for i in range(limits.count - 3))
    for extra in (line, many):
        reader, writer = await connect()
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + b"\r\n")
        status, _, _ = response(await read_all(reader))
        await closed(writer)
        assert status == 200
    # Keep-alive: a second request on the same connection is counted afresh.
    reader, writer = await connect()
    for _ in range(3):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200"), head
        size = int(re.search(rb"content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(size)
    await closed(writer)
