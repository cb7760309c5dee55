"""Two offices on the test Redis, a server whose clock a test can move forward, and the
province admin's credentials."""

from __future__ import annotations

import copy
import dataclasses
import tomllib
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
from tests.conftest import ROOT, start_server

OFFICE_A = "phuong-ba-dinh"
OFFICE_B = "phuong-hoan-kiem"
NAME_B = "Trung tâm Phục vụ hành chính công phường Hoàn Kiếm"
PASSWORD = "mat-khau-123"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

__all__ = ["browser"]


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


def two_offices(redis_url: str, data_dir: Path) -> config_mod.Config:
    """The demo config with a second office (the first one's copy under another name)."""
    data = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    second = copy.deepcopy(data["offices"][0])
    second.update(slug=OFFICE_B, name=NAME_B)
    data["offices"].append(second)
    cfg = config_mod.parse(data, ROOT / "config.toml")
    return dataclasses.replace(
        cfg,
        redis=dataclasses.replace(cfg.redis, url=redis_url),
        server=dataclasses.replace(cfg.server, data_dir=data_dir, heartbeat_s=1.0),
    )


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
    await auth.add_user(name, role, PASSWORD, offices=[OFFICE_A, OFFICE_B])
    token, _ = await auth.login(name, PASSWORD)
    return {"Authorization": f"Bearer {token}"}


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
