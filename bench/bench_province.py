"""Province benchmark: many offices on one server process, then on two behind one Redis.

    .venv/bin/python bench/bench_province.py [--offices 1,50,200] [--boards 10] [--rate 50]
                                             [--seconds 10] [--processes 1,2]

For each number of offices N: a config with N copies of the demo office (slugs `xa-001`, …)
on an embedded Redis of its own (AOF on, everysec), one server process, and:

(a) start-up: from the process's start to /healthz ok (the lifespan has set up every
    office by then) and the last office answering `GET /api/v1/offices/{slug}`;
(b) memory: the server's resident set before any board (per office: against the 1-office
    run) and after `--boards` board sockets per office (per idle board);
(c) idle CPU of the server and of Redis with every board connected;
(d) load: `--rate` tickets a second spread over the offices in turn, each issued, called at
    one of counters 1-3 and finished by a staff client (a counter's cycles one after
    another, as one clerk works; at most IN_FLIGHT cycles at once, the others waiting
    their turn, which is reported); call→board latency from the moment `call-next` is
    sent to each of the office's boards receiving its `ticket.called`, p50/p99; CPU of
    the server and Redis per ticket (the load runs between two ticks of the scheduler,
    whose work grows with the offices, so that the figures are the tickets');
(e) with `--processes` including 2: a second server process on the same Redis (its
    start-up timed as well), each office's boards split over both, the calls through the
    first, latency on the boards of each.

Baselines measured in the same run, one caller each: a Redis PING round trip (redis-py)
and a round trip to the no-op endpoint `/api/v1/noop`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis
import redis.asyncio as aioredis
import tomli_w
import uvloop
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    cpu_seconds,
    demo_setup,
    free_port,
    percentile,
    rss_kb,
    start_server,
)
from queue_server.store import keys  # noqa: E402

# Counters 1, 2 and 3 of the demo office all serve HT (config.toml): each office's
# cycles take them in turn, so that one office alone can take 50 tickets a second on a
# slow box (a counter's cycle waits for its last one).
FIELD, COUNTERS = "HT", (1, 2, 3)
GC_SETTLE_S = 12.0  # the server freezes its start-up heap again 10 s after start (wiring.py)
# The scheduler's tick runs at start and every 30 s after (services/scheduler.py), a few
# Redis calls per office: at 200 offices on a busy box it kept the process busy for
# seconds. Load runs are placed between two ticks, so that their figures are the tickets'.
TICK_S, TICK_BUSY_S = 30.0, 5.0
IN_FLIGHT = 32  # cycles at once: 32 clerks pressing a button in the same instant


async def between_ticks(started: float, seconds: float) -> None:
    """Waits until `seconds` of load fit before the next tick of a process started at
    `started` (perf_counter), and at least TICK_BUSY_S after the last one."""
    now = time.perf_counter()
    since = (now - started) % TICK_S
    if since < TICK_BUSY_S:
        await asyncio.sleep(TICK_BUSY_S - since)
    elif since + seconds > TICK_S:
        await asyncio.sleep(TICK_S - since + TICK_BUSY_S)


def province(data: dict[str, Any], n: int) -> list[str]:
    """The demo office copied n times (slugs xa-001, …) into the config's data."""
    demo = data["offices"][0]
    offices = []
    for i in range(1, n + 1):
        office = copy.deepcopy(demo)
        office["slug"] = f"xa-{i:03d}"
        office["name"] = f"Trung tâm Phục vụ hành chính công xã {i:03d}"
        for f in office["fields"]:  # one office alone takes thousands of tickets in a run
            if f["code"] == FIELD:
                f["last_number"] = 99999
        offices.append(office)
    data["offices"] = offices
    return [o["slug"] for o in offices]


@dataclass
class Arrivals:
    """Every board's receipt of a `ticket.called`: (office, number) -> receipt times, by
    server process."""

    times: dict[tuple[str, str], list[tuple[int, float]]] = field(default_factory=dict)
    count: int = 0
    expected: int | None = None  # set when the load has ended: every call's receipts
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, office: str, number: str, proc: int, t: float) -> None:
        self.times.setdefault((office, number), []).append((proc, t))
        self.count += 1
        if self.expected is not None and self.count >= self.expected:
            self.complete.set()

    async def wait(self, expected: int, timeout_s: float = 10.0) -> None:
        self.expected = expected
        if self.count >= expected:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self.complete.wait()


async def board_reader(ws: ClientConnection, proc: int, arrivals: Arrivals) -> None:
    try:
        async for raw in ws:
            if '"ticket.called"' in raw:  # the other events are only read
                t = time.perf_counter()
                msg = json.loads(raw)
                arrivals.add(msg["office"], msg["data"]["number"], proc, t)
    except Exception:  # a board closed by the benchmark ends here
        pass


async def open_boards(
    ws_base: str, slugs: list[str], per_office: int, proc: int, arrivals: Arrivals
) -> tuple[list[ClientConnection], list[asyncio.Task[None]]]:
    """`per_office` anonymous board sockets for each office, 100 connecting at a time, each
    past its snapshot."""
    targets = [s for s in slugs for _ in range(per_office)]

    async def one(slug: str) -> ClientConnection:
        ws = await connect(f"{ws_base}/ws/offices/{slug}", max_size=2**22, open_timeout=60)
        assert json.loads(await ws.recv())["type"] == "snapshot"
        return ws

    boards: list[ClientConnection] = []
    for i in range(0, len(targets), 100):
        boards.extend(await asyncio.gather(*(one(s) for s in targets[i : i + 100])))
    readers = [asyncio.create_task(board_reader(b, proc, arrivals)) for b in boards]
    return boards, readers


async def close_boards(boards: list[ClientConnection], readers: list[asyncio.Task[None]]) -> None:
    await asyncio.gather(*(b.close() for b in boards), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)


def redis_cpu_seconds(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def rss_mb(pid: int) -> float:
    return rss_kb(pid) / 1024


async def round_trips(call: Callable[[], Awaitable[object]], n: int) -> list[float]:
    for _ in range(20):  # warm up
        await call()
    out: list[float] = []
    for _ in range(n):
        t0 = time.perf_counter()
        await call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def baselines(base: str, redis_url: str, pid: int) -> dict[str, float]:
    """A bare Redis PING and a no-op request, one caller, one after another; the server's
    CPU per no-op request at that pace (each request a wake-up of its own, as a ticket's
    are at 50 a second)."""
    client = aioredis.Redis.from_url(redis_url)
    ping = await round_trips(client.ping, 500)
    await client.aclose()
    async with httpx.AsyncClient(base_url=base) as http:
        c0 = cpu_seconds(pid)
        noop = await round_trips(lambda: http.get("/api/v1/noop"), 500)
        noop_cpu = (cpu_seconds(pid) - c0) * 1000 / 520
    return {
        "ping_p50": percentile(ping, 0.5), "ping_p99": percentile(ping, 0.99),
        "noop_p50": percentile(noop, 0.5), "noop_p99": percentile(noop, 0.99),
        "noop_cpu_ms": noop_cpu,
    }  # fmt: skip


@dataclass
class Load:
    sent: dict[tuple[str, str], float] = field(default_factory=dict)  # call-next sent at
    answered: list[float] = field(default_factory=list)  # call-next's round trip, ms
    lag: list[float] = field(default_factory=list)  # a cycle's wait for its turn, ms
    cycles: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


async def drive(http: httpx.AsyncClient, slugs: list[str], rate: float, seconds: float) -> Load:
    """`rate` tickets a second, office after office: issue, call-next, finish, at the
    office's counters in turn. A counter's cycles wait for each other; others overlap."""
    load = Load()
    locks = {(s, c): asyncio.Lock() for s in slugs for c in COUNTERS}

    # At most IN_FLIGHT cycles at once, the rest waiting their turn before their first
    # request: with hundreds in flight, httpx's pool took more CPU per request than the
    # server took per ticket, and the driver, not the server, set the pace.
    turns = asyncio.Semaphore(IN_FLIGHT)

    async def cycle(slug: str, counter: int) -> None:
        due = time.perf_counter()
        async with locks[slug, counter], turns:
            load.lag.append((time.perf_counter() - due) * 1000)
            api = f"/api/v1/offices/{slug}"
            r = await http.post(f"{api}/tickets", json={"field": FIELD})
            if r.status_code != 201:
                load.errors.append(f"issue {r.status_code} {r.text[:120]}")
                return
            t0 = time.perf_counter()
            r = await http.post(f"{api}/counters/{counter}/call-next")
            if r.status_code != 200:
                load.errors.append(f"call-next {r.status_code} {r.text[:120]}")
                return
            load.answered.append((time.perf_counter() - t0) * 1000)
            called = r.json()
            load.sent[(slug, called["number"])] = t0
            r = await http.post(f"/api/v1/tickets/{called['id']}/finish", json={})
            if r.status_code != 200:
                load.errors.append(f"finish {r.status_code} {r.text[:120]}")
            load.cycles += 1

    tasks = []
    start = time.perf_counter()
    for k in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + k / rate - time.perf_counter()))
        office, turn = divmod(k, len(slugs))
        tasks.append(asyncio.create_task(cycle(slugs[turn], COUNTERS[office % len(COUNTERS)])))
    await asyncio.gather(*tasks)
    load.seconds = time.perf_counter() - start
    return load


def latencies(load: Load, arrivals: Arrivals, proc: int) -> list[float]:
    out: list[float] = []
    for key, t0 in load.sent.items():
        out.extend((t - t0) * 1000 for p, t in arrivals.times.get(key, ()) if p == proc)
    return out


def lat_figures(values: list[float], expected: int) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan"), "missing": expected}
    return {"p50": percentile(values, 0.5), "p99": percentile(values, 0.99),
            "max": max(values), "missing": expected - len(values)}  # fmt: skip


class Servers:
    """The server processes of one run, stopped together."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, config: Path, log: Path) -> tuple[int, float]:
        proc, seconds = start_server(config, log)
        self.procs.append(proc)
        return proc.pid, seconds

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


async def clips_ready(base: str, slug: str) -> float:
    """Seconds until the server has built its default voice clips (espeak-ng and a thread of
    its own for a while after start: not what a running office spends)."""
    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while not (await http.get(f"/voice/{slug}/manifest.json")).json()["ready"]:
            if time.perf_counter() - t0 > 180:
                sys.exit("the voice clips were not ready within 180 s")
            await asyncio.sleep(0.2)
    return time.perf_counter() - t0


def open_gates(client: redis.Redis, slugs: list[str]) -> None:
    """A server sets each office's walk-in gate from its calendar at start: at night every
    ticket would be a 409. Opened by hand; no opening or closing time passes in a run."""
    client.delete(*(keys.walk_in_gate(s) for s in slugs))


async def one_run(n: int, args: argparse.Namespace) -> dict[str, Any]:
    tmp, embedded, port, data = demo_setup(f"sothutu-province-{n}-")
    slugs = province(data, n)
    config = tmp / "config.toml"
    config.write_text(tomli_w.dumps(data), "utf-8")
    cli = [sys.executable, "-m", "queue_server", "--config", str(config)]
    added = await asyncio.to_thread(
        # A clerk of every office the run serves.
        subprocess.run,
        [*cli, "user", "add", "bench", "--role", "staff", *(f"--office={o}" for o in slugs)],
        input=b"bench-password\n", capture_output=True, cwd=ROOT,
    )  # fmt: skip
    if added.returncode:
        sys.exit(f"user add failed: {added.stderr.decode()[-2000:]}")
    sync_redis = redis.Redis.from_url(embedded.url())
    servers = Servers()
    res: dict[str, Any] = {"offices": n, "loadavg": os.getloadavg()[0]}
    base = f"http://127.0.0.1:{port}"
    try:
        pid, res["startup_s"] = await asyncio.to_thread(servers.start, config, tmp / "server-1.log")
        started = time.perf_counter() - res["startup_s"]
        # "All offices served": the last one answers too.
        async with httpx.AsyncClient(base_url=base, timeout=60) as anon:
            r = await anon.get(f"/api/v1/offices/{slugs[-1]}")
            assert r.status_code == 200, r.text
            res["served_s"] = time.perf_counter() - started
            login = await anon.post(
                "/api/v1/auth/token", json={"username": "bench", "password": "bench-password"}
            )
        await asyncio.sleep(0.5)
        res["rss_start_mb"] = rss_mb(pid)
        open_gates(sync_redis, slugs)
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        # The client lets a connection go after 2 s idle, before the server does (uvicorn,
        # 5 s): else a request may leave on a connection the server is closing.
        limits = httpx.Limits(max_connections=64, keepalive_expiry=2.0)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60,
                                     limits=limits) as http:  # fmt: skip
            for s in slugs:
                for c in COUNTERS:
                    r = await http.post(f"/api/v1/offices/{s}/counters/{c}/open")
                    assert r.status_code == 200, r.text

            # (b) boards, (c) idle
            arrivals = Arrivals()
            ws_a = base.replace("http://", "ws://")
            t0 = time.perf_counter()
            boards, readers = await open_boards(ws_a, slugs, args.boards, 0, arrivals)
            res["boards_open_s"] = time.perf_counter() - t0
            await asyncio.sleep(1.0)
            res["rss_boards_mb"] = rss_mb(pid)
            await clips_ready(base, slugs[0])
            res["kb_per_board"] = (res["rss_boards_mb"] - res["rss_start_mb"]) * 1024 / len(boards)
            c0, r0, w0 = cpu_seconds(pid), redis_cpu_seconds(sync_redis), time.perf_counter()
            await asyncio.sleep(max(3.0, started + GC_SETTLE_S - time.perf_counter()))
            wall = time.perf_counter() - w0
            res["idle_cpu"] = (cpu_seconds(pid) - c0) / wall
            res["idle_redis_cpu"] = (redis_cpu_seconds(sync_redis) - r0) / wall
            res.update(await baselines(base, embedded.url(), pid))

            # (d) load, one process
            await between_ticks(started, args.seconds)
            c0, r0, me0 = cpu_seconds(pid), redis_cpu_seconds(sync_redis), cpu_seconds(os.getpid())
            load = await drive(http, slugs, args.rate, args.seconds)
            res["bench_cpu"] = (cpu_seconds(os.getpid()) - me0) / load.seconds
            res["call_p50"] = percentile(load.answered, 0.5)
            res["call_p99"] = percentile(load.answered, 0.99)
            res["lag_p99"] = percentile(load.lag, 0.99)
            cycles = max(1, load.cycles)
            res["cpu_ms_per_ticket"] = (cpu_seconds(pid) - c0) * 1000 / cycles
            res["redis_ms_per_ticket"] = (redis_cpu_seconds(sync_redis) - r0) * 1000 / cycles
            await arrivals.wait(len(load.sent) * args.boards)
            res["rate"] = load.cycles / load.seconds
            res["errors"] = load.errors[:3] + ([f"... {len(load.errors)} in all"]
                                               if len(load.errors) > 3 else [])  # fmt: skip
            res["one"] = lat_figures(latencies(load, arrivals, 0), len(load.sent) * args.boards)
            await close_boards(boards, readers)

            # (e) two processes behind the same Redis
            if 2 in args.processes:
                second = copy.deepcopy(data)
                port_b = free_port()
                second["server"].update(port=port_b, data_dir=str(tmp / "data-b"))
                config_b = tmp / "config-b.toml"
                config_b.write_text(tomli_w.dumps(second), "utf-8")
                pid_b, res["startup_b_s"] = await asyncio.to_thread(
                    servers.start, config_b, tmp / "server-2.log"
                )
                started_b = time.perf_counter() - res["startup_b_s"]
                open_gates(sync_redis, slugs)  # the second process set them from the calendar
                res["rss_b_start_mb"] = rss_mb(pid_b)
                arrivals = Arrivals()
                half = args.boards // 2
                ws_b = f"ws://127.0.0.1:{port_b}"
                boards_a, readers_a = await open_boards(ws_a, slugs, args.boards - half, 0,
                                                        arrivals)  # fmt: skip
                boards_b, readers_b = await open_boards(ws_b, slugs, half, 1, arrivals)
                await clips_ready(f"http://127.0.0.1:{port_b}", slugs[0])
                await asyncio.sleep(max(1.0, started_b + GC_SETTLE_S - time.perf_counter()))
                res["rss_b_boards_mb"] = rss_mb(pid_b)
                await between_ticks(started, args.seconds)  # the first process runs the jobs
                c0, cb0, r0 = cpu_seconds(pid), cpu_seconds(pid_b), redis_cpu_seconds(sync_redis)
                load = await drive(http, slugs, args.rate, args.seconds)
                cycles = max(1, load.cycles)
                res["two_cpu_ms_a"] = (cpu_seconds(pid) - c0) * 1000 / cycles
                res["two_cpu_ms_b"] = (cpu_seconds(pid_b) - cb0) * 1000 / cycles
                res["two_redis_ms"] = (redis_cpu_seconds(sync_redis) - r0) * 1000 / cycles
                await arrivals.wait(len(load.sent) * args.boards)
                res["two_rate"] = load.cycles / load.seconds
                res["two_errors"] = load.errors[:3]
                res["two_a"] = lat_figures(latencies(load, arrivals, 0),
                                           len(load.sent) * (args.boards - half))  # fmt: skip
                res["two_b"] = lat_figures(latencies(load, arrivals, 1), len(load.sent) * half)
                await close_boards(boards_a + boards_b, readers_a + readers_b)
        res["loadavg_end"] = os.getloadavg()[0]
    finally:
        servers.stop()
        sync_redis.close()
        embedded.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def report(r: dict[str, Any], args: argparse.Namespace) -> None:
    n, one = r["offices"], r["one"]
    print(
        f"\n{n} offices, {n * args.boards} boards (load average {r['loadavg']:.1f} at the"
        f" run's start, {r['loadavg_end']:.1f} at its end)"
    )
    print(f"  start-up {r['startup_s']:.2f} s to /healthz ok, {r['served_s']:.2f} s to the last"
          f" office; {n * args.boards} boards opened in {r['boards_open_s']:.1f} s")  # fmt: skip
    print(f"  RSS {r['rss_start_mb']:.1f} MB at start, {r['rss_boards_mb']:.1f} MB with the"
          f" boards: {r['kb_per_board']:.1f} KB per idle board")  # fmt: skip
    print(f"  idle with the boards: server {r['idle_cpu']:.1%} of a core,"
          f" Redis {r['idle_redis_cpu']:.1%}")  # fmt: skip
    print(f"  baselines: Redis PING p50 {r['ping_p50']:.2f} ms p99 {r['ping_p99']:.2f};"
          f" no-op p50 {r['noop_p50']:.2f} ms p99 {r['noop_p99']:.2f},"
          f" server CPU {r['noop_cpu_ms']:.2f} ms per no-op")  # fmt: skip
    print(f"  load {r['rate']:.1f} tickets/s: call->board p50 {one['p50']:.1f} ms,"
          f" p99 {one['p99']:.1f}, max {one['max']:.1f}, missing {one['missing']};"
          f" p99 / no-op p99 {one['p99'] / r['noop_p99']:.1f}")  # fmt: skip
    print(
        f"  call-next answered p50 {r['call_p50']:.1f} ms, p99 {r['call_p99']:.1f};"
        f" the benchmark's own process took {r['bench_cpu']:.0%} of a core;"
        f" a cycle waited for its turn up to {r['lag_p99']:.0f} ms (p99)"
    )
    print(f"  CPU per ticket (issue, call, finish, events to {args.boards} boards):"
          f" server {r['cpu_ms_per_ticket']:.2f} ms"
          f" ({r['cpu_ms_per_ticket'] / r['noop_cpu_ms']:.0f} no-ops),"
          f" Redis {r['redis_ms_per_ticket']:.2f} ms")  # fmt: skip
    if r["errors"]:
        print(f"  errors: {r['errors']}")
    if "two_a" in r:
        a, b = r["two_a"], r["two_b"]
        print(f"  second process: start-up {r['startup_b_s']:.2f} s, RSS {r['rss_b_start_mb']:.1f}"
              f" MB, {r['rss_b_boards_mb']:.1f} MB with its boards")  # fmt: skip
        print(f"  two processes, {r['two_rate']:.1f} tickets/s through the first:"
              f" boards on the first p50 {a['p50']:.1f} p99 {a['p99']:.1f} (missing"
              f" {a['missing']}), on the second p50 {b['p50']:.1f} p99 {b['p99']:.1f} (missing"
              f" {b['missing']}); CPU per ticket {r['two_cpu_ms_a']:.2f} + {r['two_cpu_ms_b']:.2f}"
              f" ms, Redis {r['two_redis_ms']:.2f} ms")  # fmt: skip
        if r["two_errors"]:
            print(f"  errors: {r['two_errors']}")


def summary(results: list[dict[str, Any]]) -> None:
    base = next((r for r in results if r["offices"] == 1), None)
    print("\noffices  start s  x1   RSS MB  KB/office  KB/board  idle CPU  p50 ms  p99 ms"
          "  p99/no-op  CPU ms/ticket  2 proc p99 A/B")  # fmt: skip
    for r in results:
        n = r["offices"]
        grow = r["startup_s"] / base["startup_s"] if base else float("nan")
        per_office = ((r["rss_start_mb"] - base["rss_start_mb"]) * 1024 / (n - 1)
                      if base and n > 1 else float("nan"))  # fmt: skip
        two = f"{r['two_a']['p99']:.1f}/{r['two_b']['p99']:.1f}" if "two_a" in r else "-"
        print(f"{n:>7}{r['startup_s']:>9.2f}{grow:>5.1f}{r['rss_start_mb']:>9.1f}"
              f"{per_office:>11.1f}{r['kb_per_board']:>10.1f}{r['idle_cpu']:>10.1%}"
              f"{r['one']['p50']:>8.1f}{r['one']['p99']:>8.1f}"
              f"{r['one']['p99'] / r['noop_p99']:>11.1f}{r['cpu_ms_per_ticket']:>15.2f}"
              f"  {two}")  # fmt: skip


def main() -> None:
    # A SIGTERM (a run stopped by hand) ends the run through its `finally`: servers stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser()
    parser.add_argument("--offices", default="1,50,200")
    parser.add_argument("--boards", type=int, default=10, help="board sockets per office")
    parser.add_argument("--rate", type=float, default=50.0, help="tickets per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="of load")
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args()
    args.processes = {int(x) for x in args.processes.split(",")}
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    print(f"machine: {os.cpu_count()} cores, {memory / 2**30:.0f} GB,"
          f" Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    results = []
    for n in (int(x) for x in args.offices.split(",")):
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            r = runner.run(one_run(n, args))
        report(r, args)
        results.append(r)
    summary(results)


if __name__ == "__main__":
    main()
