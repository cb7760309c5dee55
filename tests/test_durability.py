"""Nothing answered is lost: the server killed with SIGKILL, Redis killed or restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from queue_server.store.connection import EmbeddedRedis
from tests.conftest import OFFICE, ROOT
from tests.support.server import ServeProcess, get, wait_until

pytestmark = pytest.mark.slow
API = f"/api/v1/offices/{OFFICE}"


def redis_pid(data: Path) -> int | None:
    pid = EmbeddedRedis(data).running()
    return pid


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServeProcess]:
    s = ServeProcess(tmp_path)
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


def add_user(server: ServeProcess) -> None:
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


def test_server_sigkill_loses_nothing(server: ServeProcess) -> None:
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


def test_embedded_redis_killed_is_restarted_with_its_data(server: ServeProcess) -> None:
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
    server = ServeProcess(tmp_path / "srv", redis.url())
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
