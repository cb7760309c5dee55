"""What the benchmarks share: a free port, the demo office served from an embedded Redis of
its own in a temporary folder, a server process started and timed, a process's memory and
CPU time, percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from queue_server.store.connection import EmbeddedRedis  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def demo_setup(prefix: str) -> tuple[Path, EmbeddedRedis, int, dict[str, Any]]:
    """A temporary folder, a started embedded Redis (AOF everysec, as an office runs it), a
    free port, and the demo config pointed at them (config.toml's data, not yet written)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    redis = EmbeddedRedis(tmp / "redis", appendfsync="everysec")
    redis.start()
    port = free_port()
    data = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    data["server"].update(port=port, data_dir=str(tmp / "data"), heartbeat_s=60.0)
    data["redis"]["url"] = redis.url()
    return tmp, redis, port, data


def rss_kb(pid: int) -> int:
    """A process's resident memory, KB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user and system, all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def start_server(config: Path, log: Path | None = None) -> tuple[subprocess.Popen[bytes], float]:
    """`python -m queue_server serve` on `config`, and the seconds from the process's start
    to its first /healthz ok (the lifespan has then set up every office)."""
    port = tomllib.loads(config.read_text("utf-8"))["server"]["port"]
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "queue_server", "--config", str(config), "serve", "--no-access-log"],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
    )  # fmt: skip
    if log is not None:
        out.close()  # type: ignore[union-attr]
    while True:
        if server.poll() is not None:
            sys.exit(f"the server stopped at start (exit {server.returncode}); see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return server, time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
        if time.perf_counter() - t0 > 300:
            server.kill()
            sys.exit("the server did not answer /healthz within 300 s")
