"""Two offices on the test Redis, a server whose clock a test can move forward, and the
province admin's credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from queue_server import config as config_mod
from queue_server.services.auth import AuthService
from queue_server.services.clock import Clock
from queue_server.store.connection import EmbeddedRedis
from tests.browser.conftest import browser
from tests.conftest import start_server
from tests.support import console
from tests.support.offices import NAME_B, OFFICE_B, two_offices

OFFICE_A = "phuong-ba-dinh"
PASSWORD = "mat-khau-123"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

__all__ = ["NAME_B", "OFFICE_B", "browser", "two_offices"]


class ShiftedClock(Clock):
    """The real time plus a shift the test sets. Reports read events by their stream ids,
    which carry Redis's real time, so the shifted time must stay in the real office day:
    `start` picks the direction that does."""

    def __init__(self) -> None:
        self.shift_ms = 0

    def now_ms(self) -> int:
        return super().now_ms() + self.shift_ms

    def start(self, minutes: int) -> None:
        """Before a test moves `minutes` forward: in the afternoon it starts that far back."""
        hour = datetime.now(TZ).hour
        self.shift_ms = -minutes * 60_000 if hour >= 12 else 0

    def forward(self, minutes: int) -> None:
        self.shift_ms += minutes * 60_000


@pytest.fixture
def config(redis_server: EmbeddedRedis, tmp_path: Path) -> config_mod.Config:
    return two_offices(redis_server.url(), tmp_path / "data")


@pytest.fixture
def shifted() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def server(r: Any, config: config_mod.Config, shifted: ShiftedClock) -> Iterator[str]:
    thread = start_server(config, shifted)
    url = thread.start()
    yield url
    thread.stop()


async def bearer(auth: AuthService, name: str, role: str) -> dict[str, str]:
    """A user of both offices (an admin: of every office)."""
    return await console.bearer(auth, name, role, [OFFICE_A, OFFICE_B])


@pytest.fixture
async def admin(auth: AuthService) -> dict[str, str]:
    return await bearer(auth, "tinh", "admin")


@pytest.fixture
async def staff(auth: AuthService) -> dict[str, str]:
    return await bearer(auth, "lan", "staff")


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        yield client
