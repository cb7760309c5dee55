from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from argon2 import PasswordHasher

from queue_server import config as config_mod
from queue_server.services.auth import AuthService, use_password_hasher
from queue_server.services.clock import Clock, FixedClock
from queue_server.services.queue import QueueService
from queue_server.store.accounts import Accounts
from queue_server.store.connection import EmbeddedRedis, connect
from queue_server.store.queue import QueueStore
from queue_server.web.app import create_app
from tests.support.server import ServerThread

ROOT = Path(__file__).resolve().parent.parent
OFFICE = "phuong-ba-dinh"
# A Tuesday morning. 24/11 is Vietnam Culture Day, a public holiday from 2026: working
# days counted from it (result dates) start on the 25th.
MORNING = int(datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).timestamp() * 1000)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> None:
    """argon2's cheapest parameters for the suite's hundreds of users (a deployment keeps
    the defaults; `serve` and CLI subprocesses too)."""
    use_password_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), appendfsync="no")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def r(redis_server: EmbeddedRedis) -> AsyncIterator[Any]:
    """A client of the test Redis, flushed before each test."""
    client = connect(redis_server.url())
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
def config(redis_server: EmbeddedRedis, tmp_path: Path) -> config_mod.Config:
    """The demo config, on the test Redis."""
    cfg = config_mod.load(ROOT / "config.toml")
    return dataclasses.replace(
        cfg,
        redis=dataclasses.replace(cfg.redis, url=redis_server.url()),
        server=dataclasses.replace(cfg.server, data_dir=tmp_path / "data", heartbeat_s=1.0),
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MORNING)


@pytest.fixture
def service(r: Any, config: config_mod.Config, clock: FixedClock) -> QueueService:
    return QueueService(config, QueueStore(r), clock)


@pytest.fixture
def auth(r: Any) -> AuthService:
    return AuthService(Accounts(r))


def start_server(
    config: config_mod.Config, clock: Clock | None = None, *, calendar_gate: bool = False
) -> ServerThread:
    """`calendar_gate`: keep the walk-in gate the server set from the calendar at start-up
    (else it is opened: see ServerThread)."""
    return ServerThread(create_app(config, clock=clock), calendar_gate=calendar_gate)


@pytest.fixture
def server(r: Any, config: config_mod.Config) -> Iterator[str]:
    """A running server (real clock) on the flushed test Redis; yields its base URL."""
    thread = start_server(config)
    url = thread.start()
    yield url
    thread.stop()


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        yield client


@pytest.fixture
async def staff_token(auth: AuthService) -> str:
    await auth.add_user("lan", "staff", "mat-khau-123", offices=[OFFICE])
    token, _ = await auth.login("lan", "mat-khau-123")
    return token


@pytest.fixture
def staff(staff_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token}"}
