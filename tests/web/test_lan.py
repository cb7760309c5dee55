"""`python -m queue_server serve --lan`, as an operator serves the office network: the pages'
addresses it prints, and the warning for a server.public_url that phones cannot open."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import redis
import tomli_w

from queue_server.network import lan_address
from queue_server.store.connection import EmbeddedRedis
from tests.support.server import ROOT, free_port, get, wait_until

OFFICE = "phuong-ba-dinh"


def serve_lan(tmp: Path, redis_url: str, public_url: str | None) -> tuple[int, str, str]:
    """Starts `serve --lan --port N`, waits until it answers, stops it; returns the port,
    what it printed and what it logged."""
    # A Redis of earlier tests' leftovers (users, no schema version) would be upgraded and
    # warn about it: this server starts on empty data, as a new install does.
    redis.Redis.from_url(redis_url).flushall()
    data = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    data["server"]["data_dir"] = str(tmp / "data")
    data["redis"]["url"] = redis_url
    if public_url:
        data["server"]["public_url"] = public_url
    config = tmp / "config.toml"
    config.write_text(tomli_w.dumps(data), "utf-8")
    port = free_port()
    out, err = tmp / "out.txt", tmp / "err.txt"
    cli = [sys.executable, "-m", "queue_server", "--config", str(config)]
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            [*cli, "serve", "--lan", "--port", str(port), "--no-access-log"],
            cwd=ROOT, stdout=o, stderr=e,
        )  # fmt: skip
        try:
            wait_until(lambda: get(f"http://127.0.0.1:{port}/healthz") == 200, 30)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return port, out.read_text("utf-8"), err.read_text("utf-8")


def test_serve_lan_prints_the_lan_address_of_each_page(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    lan = lan_address()
    assert lan, "this test needs a network interface besides loopback"
    port, printed, logged = serve_lan(tmp_path, redis_server.url(), None)
    base = f"http://{lan}:{port}"
    assert f"kiosk:    {base}/kiosk/{OFFICE}" in printed
    assert f"board:    {base}/board/{OFFICE}" in printed
    assert "127.0.0.1" not in printed
    assert "WARNING" not in logged


@pytest.mark.parametrize("public_url", ["http://127.0.0.1:8000", "http://localhost:8000/"])
def test_a_loopback_public_url_on_the_network_is_warned_at_start(
    redis_server: EmbeddedRedis, tmp_path: Path, public_url: str
) -> None:
    _, printed, logged = serve_lan(tmp_path, redis_server.url(), public_url)
    [warning] = [line for line in logged.splitlines() if line.startswith("WARNING")]
    assert "server.public_url" in warning and "loopback" in warning
    assert "Remove server.public_url" in warning and str(tmp_path / "config.toml") in warning
    # The printed addresses are the configured ones: what the QR codes carry.
    assert f"kiosk:    {public_url.rstrip('/')}/kiosk/{OFFICE}" in printed
