"""Nothing answered is lost: the server killed with SIGKILL, Redis killed or restarted."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w

from queue_server.store.connection import EmbeddedRedis
from tests.conftest import OFFICE, ROOT

pytestmark = pytest.mark.slow
API = f"/api/v1/offices/{OFFICE}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """`python -m queue_server serve` as a separate process, as an operator runs it."""

    def __init__(self, tmp: Path, redis_url: str | None = None) -> None:
        self.port = free_port()
        data = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
        data["server"].update(port=self.port, data_dir=str(tmp / "data"))
        data["redis"]["appendfsync"] = "always"
        if redis_url:
            data["redis"]["url"] = redis_url
        self.config = tmp / "config.toml"
        self.config.write_text(tomli_w.dumps(data), "utf-8")
        self.data = tmp / "data"
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "queue_server", "--config", str(self.config), "serve"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: get(f"{self.url}/healthz") == 200, 30)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


def get(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0


def wait_until(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.1)


def redis_pid(data: Path) -> int | None:
    pid = EmbeddedRedis(data).running()
    return pid


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    yield s
    s.stop()


def issue_and_call(base: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    token = login(base)
    tickets = [
        httpx.post(f"{base}{API}/tickets", json={"field": f}).json() for f in ("HT", "HT", "CT")
    ]
    httpx.post(f"{base}{API}/counters/1/open", headers=token)
    httpx.post(f"{base}{API}/counters/1/call-next", headers=token)
    return tickets, token


def login(base: str) -> dict[str, str]:
    resp = httpx.post(
        f"{base}/api/v1/auth/token", json={"username": "an", "password": "mat-khau-456"}
    )
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def add_user(server: Server) -> None:
    subprocess.run(
        [sys.executable, "-m", "queue_server", "--config", str(server.config), "user", "add", "an",
         "--role", "staff"],
        input=b"mat-khau-456\n", cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip


def states(base: str, tickets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (t["number"], httpx.get(f"{base}/api/v1/tickets/{t['id']}").json()["status"])
        for t in tickets
    ]


def test_server_sigkill_loses_nothing(server: Server) -> None:
    server.start()
    add_user(server)  # the command line attaches to the running server's Redis
    tickets, _ = issue_and_call(server.url)
    before = states(server.url, tickets)
    assert before == [("A001", "called"), ("A002", "waiting"), ("B001", "waiting")]
    server.kill()
    # The embedded Redis goes down with its parent instead of lingering.
    wait_until(lambda: redis_pid(server.data) is None, 15)
    server.start()
    assert states(server.url, tickets) == before
    token = login(server.url)  # the user survived too
    nxt = httpx.post(f"{server.url}/api/v1/tickets/{tickets[0]['id']}/finish", headers=token)
    assert nxt.status_code == 200
    assert httpx.post(f"{server.url}{API}/tickets", json={"field": "HT"}).json()["number"] == "A003"


def test_embedded_redis_killed_is_restarted_with_its_data(server: Server) -> None:
    server.start()
    add_user(server)
    tickets, _ = issue_and_call(server.url)
    before = states(server.url, tickets)
    pid = redis_pid(server.data)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: redis_pid(server.data) not in (None, pid), 20)
    assert states(server.url, tickets) == before
    assert httpx.post(f"{server.url}{API}/tickets", json={"field": "HT"}).json()["number"] == "A003"


def test_external_redis_restart_loses_nothing(tmp_path: Path) -> None:
    redis = EmbeddedRedis(tmp_path / "external", appendfsync="always")
    redis.start()
    (tmp_path / "srv").mkdir()
    server = Server(tmp_path / "srv", redis.url())
    try:
        server.start()
        add_user(server)
        tickets, token = issue_and_call(server.url)
        before = states(server.url, tickets)
        redis.stop()
        assert get(f"{server.url}/healthz") == 503
        redis.start()
        wait_until(lambda: get(f"{server.url}/healthz") == 200, 20)
        assert states(server.url, tickets) == before
        resp = httpx.post(f"{server.url}{API}/counters/1/call-next", headers=token)
        assert resp.status_code == 409  # A001 is still at counter 1, as before the restart
    finally:
        server.stop()
        redis.stop()
