"""Real servers for HTTP and WebSocket tests: uvicorn on 127.0.0.1 in a background thread,
or `python -m queue_server serve` as a process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import redis
import tomli_w
import uvicorn
from starlette.types import ASGIApp

from queue_server.store import keys
from queue_server.store.connection import EmbeddedRedis
from queue_server.web.server import Server, uvicorn_config

ROOT = Path(__file__).resolve().parent.parent.parent


class QuickServer(Server):
    """The command line's server (web/server.py `Server`), stopped as soon as it is asked.
    uvicorn looks at `should_exit` every 0.1 s, and its shutdown pauses 0.1 s for the
    connections it asked to close; the suite stops a server after most of its tests, so
    these pauses added up to about a minute.
    Here `stop_soon()` wakes the main loop at once, and a shutdown with no connection or
    request left skips the pause; any other shutdown is uvicorn's own. The lifespan's
    shutdown runs either way."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.wake: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def stop_soon(self) -> None:
        """Asks the server to stop, from any thread, and has its main loop see it now."""
        self.should_exit = True
        loop, wake = self.loop, self.wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed already
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no new connection from here on (uvicorn's first step)
        if self.server_state.connections or self.server_state.tasks or sockets:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


class ServerThread:
    """`calendar_gate=False` (the default) opens the walk-in gate once the server has started,
    whatever the hour the suite runs at: a server sets the gate from the calendar at start-up,
    and most tests issue walk-in tickets at the real time or at a fixed moment that falls on
    a holiday. Tests of the gate itself pass True. The scheduler moves the gate only when a
    boundary passes, as it did before start-up set it."""

    def __init__(self, app: ASGIApp, *, calendar_gate: bool = False) -> None:
        self.app = app
        self.calendar_gate = calendar_gate
        self.server = QuickServer(uvicorn_config(app, "127.0.0.1", 0, log_level="warning"))
        self.thread = threading.Thread(target=self._run, daemon=True, name="uvicorn")
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the test by start()
            self.error = exc

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.server.serve()

    async def _open_walk_ins(self) -> None:
        state = getattr(self.app, "state", None)
        found = getattr(state, "services", None)
        if state is None or found is None:
            return
        for office in found.offices.all():
            await state.redis.delete(keys.walk_in_gate(office.slug))

    def start(self, timeout: float = 20.0) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self.error is not None or not self.thread.is_alive():
                raise RuntimeError(f"server failed to start: {self.error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("server did not start")
            time.sleep(0.01)
        if not self.calendar_gate and self.loop is not None:
            asyncio.run_coroutine_threadsafe(self._open_walk_ins(), self.loop).result(10)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.stop_soon()
        self.thread.join(timeout=15)


def open_walk_ins(redis_url: str, slugs: list[str]) -> None:
    """What ServerThread does for servers it does not run (see its docstring)."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(*(keys.walk_in_gate(slug) for slug in slugs))
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServeProcess:
    """`python -m queue_server serve` as a separate process, as an operator runs it."""

    def __init__(
        self, tmp: Path, redis_url: str | None = None, server: dict[str, Any] | None = None
    ) -> None:
        """`server`: settings of the config's [server] table to change."""
        self.port = free_port()
        data = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
        data["server"].update(port=self.port, data_dir=str(tmp / "data"), **(server or {}))
        data["redis"]["appendfsync"] = "always"
        if redis_url:
            data["redis"]["url"] = redis_url
        self.config = tmp / "config.toml"
        self.config.write_text(tomli_w.dumps(data), "utf-8")
        self.data = tmp / "data"
        self.redis_url = redis_url or EmbeddedRedis(self.data).url()
        self.slugs = [str(o["slug"]) for o in data["offices"]]
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "server.log"

    def start(self, *serve_args: str, open_files: int | None = None) -> None:
        """The server's output (its log, as an operator sees it) goes to `self.log`.
        `open_files`: the soft limit of open files it starts with (a login shell's 1,024)."""
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        cli = [sys.executable, "-m", "queue_server", "--config", str(self.config)]

        def limit() -> None:
            if open_files is not None:
                hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
                resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, hard))

        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*cli, "serve", *serve_args],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=limit,
            )  # fmt: skip
        wait_until(lambda: get(f"{self.url}/healthz") == 200, 30)
        open_walk_ins(self.redis_url, self.slugs)

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
