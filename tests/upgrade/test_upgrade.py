"""`python -m queue_server serve` started on the data of the previous released sothutu
(v1.json): it migrates the data, stamps its version, runs nothing at the next start, and
refuses data of a newer sothutu without serving."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import redis

from queue_server.store import keys
from queue_server.store.connection import EmbeddedRedis
from tests.conftest import OFFICE
from tests.support.server import ROOT, ServeProcess
from tests.upgrade.snapshot import load_v1


def token(name: str) -> str:
    """The token the snapshot stores the digest of."""
    return f"v1-token-{name}"


def reports(url: str, name: str) -> int:
    headers = {"Authorization": f"Bearer {token(name)}"}
    return httpx.get(f"{url}/api/v1/offices/{OFFICE}/reports", headers=headers).status_code


def test_the_previous_releases_data_is_upgraded_at_start(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    url = redis_server.url()
    snapshot = load_v1(url)
    assert f"sq:token:{hashlib.sha256(token('lan').encode()).hexdigest()}" in snapshot
    client: Any = redis.Redis.from_url(url, decode_responses=True)
    server = ServeProcess(tmp_path, redis_url=url)
    try:
        server.start()
        log = server.log.read_text("utf-8")
        assert "migrating the data from schema version 1 to 2" in log
        assert "2 user(s) made before users had offices" in log
        assert "data migrated to schema version 2" in log
        assert client.get(keys.schema()) == "2"
        # config.toml's one office: each user has their role in it, the kiosk is bound to it.
        assert json.loads(client.hget(keys.user("lan"), "offices")) == {OFFICE: "manager"}
        assert json.loads(client.hget(keys.user("minh"), "offices")) == {OFFICE: "staff"}
        assert client.hget(keys.device("kiosk-1"), "office") == OFFICE
        # Tokens issued before the upgrade still say who may do what, in the office.
        assert reports(server.url, "lan") == 200
        assert reports(server.url, "minh") == 403
        server.stop()

        mark = len(server.log.read_bytes())
        server.start()
        again = server.log.read_bytes()[mark:].decode("utf-8")
        assert "data schema version 2: nothing to migrate" in again
        assert "migrating" not in again
        assert "device(s) registered before devices had one office" not in again
        assert reports(server.url, "lan") == 200
        server.stop()

        client.set(keys.schema(), "3")
        refused = subprocess.run(
            [sys.executable, "-m", "queue_server", "--config", str(server.config), "serve"],
            cwd=ROOT, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert refused.returncode == 2
        last = refused.stderr.strip().splitlines()[-1]
        assert last.startswith("error: the data in Redis has schema version 3, newer than")
        assert "this sothutu's version 2" in last
        assert "Upgrade sothutu" in last
        assert client.get(keys.schema()) == "3"
    finally:
        server.stop()
        client.flushall()  # no newer version left for the next test's server
        client.close()


def test_the_command_line_stamps_a_fresh_install_and_refuses_newer_data(
    redis_server: EmbeddedRedis,
) -> None:
    """It writes data of this version and migrates nothing: a user added before the first
    start leaves the server nothing to migrate; data of a newer sothutu is not touched."""
    url = redis_server.url()
    client: Any = redis.Redis.from_url(url, decode_responses=True)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "queue_server", "--config", str(ROOT / "config.toml"),
             "user", "add", *args],
            input="mat-khau-moi-1\n", capture_output=True, text=True, timeout=30, cwd=ROOT,
            env={**os.environ, "REDIS_URL": url},
        )  # fmt: skip

    try:
        client.flushall()
        done = cli("hoa", "--role", "manager", "--office", OFFICE)
        assert done.returncode == 0, done.stderr
        assert client.get(keys.schema()) == "2"
        client.set(keys.schema(), "3")
        done = cli("tu", "--role", "staff", "--office", OFFICE)
        assert done.returncode == 2
        assert "error: the data in Redis has schema version 3" in done.stderr
        assert not client.exists(keys.user("tu"))
    finally:
        client.flushall()
        client.close()
