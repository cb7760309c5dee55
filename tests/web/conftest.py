from __future__ import annotations

import pytest

from queue_server.services.auth import AuthService
from tests.conftest import OFFICE


@pytest.fixture
async def manager_token(auth: AuthService) -> str:
    """A manager's bearer token (the demo config's users are made per test)."""
    await auth.add_user("hoa", "manager", "mat-khau-456", offices=[OFFICE])
    token, _ = await auth.login("hoa", "mat-khau-456")
    return token
