from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from queue_server import config as config_mod
from queue_server.services.auth import AuthService
from queue_server.services.clock import FixedClock
from tests.browser.conftest import browser
from tests.conftest import MORNING, OFFICE, start_server
from tests.support import console

# The browser of tests/browser (real headless Chromium), for test_browser.py.
__all__ = ["browser"]

# A Wednesday at 9:00, a working day: a new office's walk-in gate, set from its calendar
# when a server starts serving it, is open.
WORKDAY = MORNING + 86_400_000
PASSWORD = "mat-khau-123"


@pytest.fixture
def served(r: Any, config: config_mod.Config) -> Iterator[str]:
    """A server whose clock stands on a working morning."""
    thread = start_server(config, FixedClock(WORKDAY))
    yield thread.start()
    thread.stop()


async def bearer(auth: AuthService, name: str, role: str) -> dict[str, str]:
    """A user of the demo office (an admin: of every office)."""
    return await console.bearer(auth, name, role, [OFFICE])


@pytest.fixture
async def admin(auth: AuthService) -> dict[str, str]:
    return await bearer(auth, "tinh", "admin")


@pytest.fixture
async def client(served: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served, timeout=10) as c:
        yield c
