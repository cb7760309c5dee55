"""Soak: does the server's memory stay flat under sessions that come and go, hostile ones too?

    .venv/bin/python bench/bench_soak.py [--sessions 10000] [--every 1000] [--concurrency 50]
    .venv/bin/python bench/bench_soak.py --trace     # where memory goes (tracemalloc)
    .venv/bin/python bench/bench_soak.py --burst 1000  # then 1,000 boards at once, 5 times

Starts its own Redis (the embedded redis-server) and one server process (`serve
--no-access-log`, its log kept to count tracebacks), then runs three phases of `--sessions`
each over raw sockets, `--concurrency` at a time, printing the server's resident memory
(VmRSS) every `--every` sessions:

1. board sessions: WebSocket handshake, the snapshot, a close frame, the server's close;
2. bad-frame sessions: the same, then a binary frame (every other session: a text frame
   that is not UTF-8) instead of the close, and the server's close (1003 / 1007);
3. mid-body disconnects: a POST announcing 100 bytes, 9 sent, the socket closed.

`--burst N` then opens N boards at once and closes them all, five times, printing RSS
with them open and after: what a peak of open sockets leaves held, and whether the next
peak adds to it.

The target (issue 21): after the first 1,000 sessions of a phase, RSS grows by less than
5 MB over the next 9,000. `--trace` runs the server under tracemalloc (slower, and its RSS
is not the plain server's) and prints, per phase, the 12 source lines whose allocations
grew most between the phase's first `--every` sessions and its end, from snapshots the
server dumps on SIGUSR1: this file, run as the server's entry point with
`--serve-traced`, installs that handler, so no debug hook sits in the server's own code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import tomli_w

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import demo_setup, rss_kb  # noqa: E402

OFFICE = "phuong-ba-dinh"
HANDSHAKE = (
    f"GET /ws/offices/{OFFICE} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n"
).encode()
MID_BODY = (
    f"POST /api/v1/offices/{OFFICE}/tickets HTTP/1.1\r\nHost: x\r\n"
    "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    '{"field":'
).encode()


def serve_traced(argv: list[str]) -> None:
    """The server, with a SIGUSR1 handler that dumps a tracemalloc snapshot next to the
    file named by SOTHUTU_SOAK_SNAPSHOTS (numbered from 0)."""
    import ctypes
    import gc
    import tracemalloc

    from queue_server.__main__ import main

    tracemalloc.start(int(os.environ.get("SOTHUTU_SOAK_FRAMES", "1")))
    base = Path(os.environ["SOTHUTU_SOAK_SNAPSHOTS"])
    taken = 0

    def dump(signum: int, frame: object) -> None:
        nonlocal taken
        tracemalloc.take_snapshot().dump(str(base.with_suffix(f".{taken}")))
        base.with_suffix(f".{taken}.done").touch()
        taken += 1

    def trim(signum: int, frame: object) -> None:
        # What of the RSS is garbage in reference cycles not yet collected, then free memory
        # glibc's heap keeps rather than Python objects.
        found = gc.collect()
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        base.with_suffix(".trimmed").write_text(str(found))

    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGUSR2, trim)
    sys.exit(main(argv))


def client_frame(opcode: int, payload: bytes) -> bytes:
    mask = b"\x12\x34\x56\x78"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    return first & 0x0F, await reader.readexactly(size)


async def until_close(reader: asyncio.StreamReader) -> int:
    """The close code the server sent; 1006 when it dropped the connection without one."""
    try:
        while True:
            opcode, payload = await read_frame(reader)
            if opcode == 8:
                code: int = struct.unpack("!H", payload[:2])[0]
                return code
    except (asyncio.IncompleteReadError, ConnectionError):
        return 1006


async def open_board(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(HANDSHAKE)
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    opcode, _ = await read_frame(reader)  # the snapshot
    assert opcode == 1
    return reader, writer


async def board_session(port: int, i: int) -> None:
    reader, writer = await open_board(port)
    writer.write(client_frame(8, struct.pack("!H", 1000)))
    assert await until_close(reader) == 1000
    writer.close()
    await writer.wait_closed()


CLOSE_CODES: Counter[int] = Counter()


async def bad_frame_session(port: int, i: int) -> None:
    reader, writer = await open_board(port)
    if i % 2:
        writer.write(client_frame(1, b'{"type":"\xff\xfe"}'))
    else:
        writer.write(client_frame(2, b'{"type":"ping"}'))
    code = await until_close(reader)
    CLOSE_CODES[code] += 1
    if code != 1006:
        writer.write(client_frame(8, struct.pack("!H", code)))
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def mid_body_session(port: int, i: int) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(MID_BODY)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


class Snapshots:
    """Asks the traced server for a tracemalloc snapshot and waits for it."""

    def __init__(self, pid: int, base: Path) -> None:
        self.pid = pid
        self.base = base
        self.taken = 0

    def take(self) -> Path:
        os.kill(self.pid, signal.SIGUSR1)
        done = self.base.with_suffix(f".{self.taken}.done")
        for _ in range(600):
            if done.exists():
                break
            time.sleep(0.1)
        path = self.base.with_suffix(f".{self.taken}")
        self.taken += 1
        return path


def print_growth(first: Path, last: Path) -> None:
    import tracemalloc

    before = tracemalloc.Snapshot.load(str(first))
    after = tracemalloc.Snapshot.load(str(last))
    total = sum(s.size_diff for s in after.compare_to(before, "filename"))
    print(f"    traced memory grew {total / 1024:+.0f} KB; the lines that grew most:")
    for stat in after.compare_to(before, "lineno")[:12]:
        frame = stat.traceback[0]
        name = frame.filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
        print(f"    {stat.size_diff / 1024:+9.1f} KB {stat.count_diff:+7d} blocks  "
              f"{name}:{frame.lineno}")  # fmt: skip


async def phase(
    name: str,
    session: Callable[[int, int], Awaitable[None]],
    port: int,
    pid: int,
    args: argparse.Namespace,
    snapshots: Snapshots | None,
) -> tuple[int, int]:
    """Runs the sessions, printing RSS every `args.every`; returns RSS (KB) after the first
    `every` and at the end."""
    print(f"\n{name}")
    print(f"{'sessions':>10}{'RSS MB':>10}{'s':>8}")
    t0 = time.monotonic()
    marks: list[int] = []
    first_snapshot: Path | None = None
    done = 0
    while done < args.sessions:
        batch = min(args.every, args.sessions - done)
        for start in range(0, batch, args.concurrency):
            n = min(args.concurrency, batch - start)
            await asyncio.gather(*(session(port, done + start + k) for k in range(n)))
        done += batch
        await asyncio.sleep(0.2)  # the server's side of the last closes
        marks.append(rss_kb(pid))
        print(f"{done:>10}{marks[-1] / 1024:>10.1f}{time.monotonic() - t0:>8.1f}")
        if snapshots is not None and first_snapshot is None:
            first_snapshot = snapshots.take()
    if len(marks) > 1:
        print(f"  after the first {args.every}: {(marks[-1] - marks[0]) / 1024:+.1f} MB over "
              f"the next {args.sessions - args.every}")  # fmt: skip
    if CLOSE_CODES:
        print("  close codes: " + ", ".join(f"{c}: {n}" for c, n in sorted(CLOSE_CODES.items())))
        CLOSE_CODES.clear()
    if snapshots is not None and first_snapshot is not None:
        print_growth(first_snapshot, snapshots.take())
    return marks[0], marks[-1]


async def all_gone(port: int) -> float:
    """Seconds until the server counts no WebSocket client (its /healthz)."""
    t0 = time.monotonic()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        for _ in range(600):
            if not (await http.get("/healthz")).json()["clients"]:
                break
            await asyncio.sleep(0.1)
    return time.monotonic() - t0


async def bursts(port: int, pid: int, size: int, rounds: int, snapshots: Snapshots | None) -> None:
    """`size` boards open at once, then all closed, `rounds` times: what a peak of open
    sockets leaves behind, and whether the next peak adds to it."""
    before = snapshots.take() if snapshots is not None else None
    print(f"\nbursts of {size} boards open at once, then closed")
    print(f"{'round':>10}{'open MB':>10}{'after MB':>10}{'gone s':>10}")
    for r in range(1, rounds + 1):
        boards = []
        for start in range(0, size, 100):
            boards += await asyncio.gather(
                *(open_board(port) for _ in range(min(100, size - start)))
            )
        await asyncio.sleep(0.5)
        peak = rss_kb(pid)
        for _, writer in boards:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for _, w in boards), return_exceptions=True)
        gone = await all_gone(port)
        await asyncio.sleep(1.0)
        print(f"{r:>10}{peak / 1024:>10.1f}{rss_kb(pid) / 1024:>10.1f}{gone:>10.1f}")
    if snapshots is not None and before is not None:
        print_growth(before, snapshots.take())
        trimmed = snapshots.base.with_suffix(".trimmed")
        os.kill(pid, signal.SIGUSR2)
        for _ in range(100):
            if trimmed.exists():
                break
            await asyncio.sleep(0.1)
        rss = rss_kb(pid) / 1024
        print(f"  after gc.collect() ({trimmed.read_text()} objects in cycles freed) and "
              f"glibc's malloc_trim(0): RSS {rss:.1f} MB; against the start:")  # fmt: skip
        print_growth(before, snapshots.take())


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-traced":
        serve_traced(sys.argv[2:])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--trace", action="store_true", help="tracemalloc snapshots")
    parser.add_argument("--burst", type=int, default=0, help="then N boards at once, 5 times")
    args = parser.parse_args()
    tmp, redis, port, data = demo_setup("sothutu-soak-")
    config = tmp / "config.toml"
    config.write_text(tomli_w.dumps(data), "utf-8")
    serve = ["--config", str(config), "serve", "--no-access-log"]
    env = dict(os.environ)
    if args.trace:
        env["SOTHUTU_SOAK_SNAPSHOTS"] = str(tmp / "snapshot")
        cmd = [sys.executable, __file__, "--serve-traced", *serve]
    else:
        cmd = [sys.executable, "-m", "queue_server", *serve]
    log = tmp / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        up = time.monotonic()
        print(f"machine: {os.cpu_count()} cores, {sys.version.split()[0]}, server pid "
              f"{server.pid}{' (tracemalloc on)' if args.trace else ''}")  # fmt: skip
        # The server freezes its start-up heap again 10 s after start (web/app.py).
        time.sleep(max(0.0, up + 12 - time.monotonic()))
        print(f"RSS at start: {rss_kb(server.pid) / 1024:.1f} MB")
        snapshots = Snapshots(server.pid, tmp / "snapshot") if args.trace else None
        phases = (
            ("1. board sessions (snapshot, close)", board_session),
            ("2. bad-frame sessions (binary: 1003, invalid UTF-8: 1007)", bad_frame_session),
            ("3. mid-body disconnects (100 bytes announced, 9 sent)", mid_body_session),
        )
        results = []
        for name, session in phases if args.sessions else ():
            results.append(asyncio.run(phase(name, session, port, server.pid, args, snapshots)))
        if args.burst:
            asyncio.run(bursts(port, server.pid, args.burst, 5, snapshots))
        time.sleep(5)
        print(f"\nRSS 5 s after the last session: {rss_kb(server.pid) / 1024:.1f} MB")
        for (name, _), (first, last) in zip(phases, results, strict=False):
            verdict = "met" if last - first < 5 * 1024 else "NOT met"
            print(f"  {name.split(' (')[0]}: {(last - first) / 1024:+.1f} MB after the first "
                  f"{args.every} ({verdict})")  # fmt: skip
        text = log.read_text("utf-8", "replace")
        counts = [text.count(s) for s in ("Traceback", "client left", "with 1003", "with 1007")]
        print("server log: {} tracebacks, {} 'client left', {} 1003, {} 1007".format(*counts))
    finally:
        server.terminate()
        server.wait(timeout=20)
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
