"""What the benchmarks share: a free port, and the demo office served from an embedded Redis
of its own in a temporary folder."""

from __future__ import annotations

import socket
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

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
