from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from printer.render import PrintOptions
from queue_server.config import Config
from queue_server.office import Printer
from queue_server.services.auth import AuthService
from queue_server.services.printing import ServerDriver
from queue_server.web.app import create_app
from queue_server.web.server import uvicorn_config
from tests.printer.escpos_stream import decode
from tests.printer.fakeprinter import FakePrinter
from tests.support.server import QuickServer, open_walk_ins

OFFICE = "phuong-ba-dinh"


def with_printers(config: Config, *printers: Printer) -> Config:
    office = dataclasses.replace(config.offices[0], printers=printers)
    return dataclasses.replace(config, offices=(office, *config.offices[1:]))


def jobs_printed(fake: FakePrinter) -> list[str]:
    """The QR data of every job the printer received, in order (text-mode jobs carry the QR
    as a native `GS ( k` command; connections that only asked the status are left out)."""
    with fake._lock:
        connections = list(fake.connections)
    out = []
    for job in connections:
        if job:
            printed = decode(job)
            assert printed.cuts, "a job without a cut"
            out.extend(printed.qr_data)
    return out


async def until(check: Any, within: float = 15.0, what: str = "condition") -> Any:
    """Polls `check()` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class FixedPortServer:
    """A real uvicorn server on a chosen port, so that it can be stopped and started again
    at the same address (the print agent reconnects to it)."""

    def __init__(self, config: Config, port: int, host: str = "127.0.0.1") -> None:
        self.config, self.port, self.host = config, port, host
        self.server: QuickServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        app = create_app(self.config)
        self.server = QuickServer(uvicorn_config(app, self.host, self.port, "warning"))
        server = self.server
        self.thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert self.thread.is_alive(), "server failed to start"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        assert self.config.redis.url is not None
        open_walk_ins(self.config.redis.url, [o.slug for o in self.config.offices])
        return self.url

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.stop_soon()
            # The printer drivers stop first in the lifespan's shutdown; a thread still alive
            # after this is the hub's reader (see the report on its shutdown), which prints
            # nothing.
            self.thread.join(15)
            self.server = self.thread = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def fake_printer() -> Iterator[FakePrinter]:
    printer = FakePrinter()
    yield printer
    printer.close()


@pytest.fixture(autouse=True)
def quick_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short pauses, so that a printer coming back is noticed within a fraction of a second."""
    monkeypatch.setattr(ServerDriver, "retry_first_s", 0.05)
    monkeypatch.setattr(ServerDriver, "retry_max_s", 0.2)
    monkeypatch.setattr(ServerDriver, "block_ms", 200)


@pytest.fixture
def print_config(config: Config, fake_printer: FakePrinter) -> Config:
    """The demo office with a network printer (text mode: the QR is a native command the
    decoder reads back) and the demo kiosk printer driven by an agent."""
    return with_printers(
        config,
        Printer("quay-1", fake_printer.url, "server", PrintOptions(paper_width=80, mode="text")),
        dataclasses.replace(config.offices[0].printers[0], options=PrintOptions(mode="text")),
    )


@pytest.fixture
def print_server(r: Any, print_config: Config) -> Iterator[FixedPortServer]:
    server = FixedPortServer(print_config, free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def client(print_server: FixedPortServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=print_server.url, timeout=10) as c:
        yield c


async def _login(auth: AuthService, name: str, role: str) -> dict[str, str]:
    await auth.add_user(name, role, "mat-khau-123", offices=[OFFICE])
    token, _ = await auth.login(name, "mat-khau-123")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def staff(auth: AuthService) -> dict[str, str]:
    return await _login(auth, "lan", "staff")


@pytest.fixture
async def manager(auth: AuthService) -> dict[str, str]:
    return await _login(auth, "hoa", "manager")
