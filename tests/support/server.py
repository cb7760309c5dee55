"""A real uvicorn server on 127.0.0.1 in a background thread, for HTTP and WebSocket tests."""

from __future__ import annotations

import asyncio
import threading
import time

import uvicorn
from starlette.types import ASGIApp

from queue_server.web.server import uvicorn_config


class ServerThread:
    def __init__(self, app: ASGIApp) -> None:
        self.server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", 0, log_level="warning"))
        self.thread = threading.Thread(target=self._run, daemon=True, name="uvicorn")
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve())
        except BaseException as exc:  # reported to the test by start()
            self.error = exc

    def start(self, timeout: float = 20.0) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self.error is not None or not self.thread.is_alive():
                raise RuntimeError(f"server failed to start: {self.error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
