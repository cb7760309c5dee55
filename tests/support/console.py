"""The manager console from a test: httpx clients logged in through the real login form.

A plain module, so that the console tests and the browser tests share one definition
without their conftest files importing each other.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from queue_server.services.auth import AuthService

OFFICE = "phuong-ba-dinh"
PASSWORD = "mat-khau-123"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "the page has no CSRF token"
    return m[1]


async def log_in(client: httpx.AsyncClient, name: str) -> str:
    """Logs the client in through the login form; returns the session's CSRF token."""
    page = await client.get("/login")
    res = await client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "username": name, "password": PASSWORD, "next": "/"},
    )
    assert res.status_code == 303, res.text
    return csrf_of((await client.get("/login")).text)


async def bearer(auth: AuthService, name: str, role: str, offices: list[str]) -> dict[str, str]:
    """The Authorization header of a new user `name` with `role` in each of `offices`."""
    await auth.add_user(name, role, PASSWORD, offices=offices)
    token, _ = await auth.login(name, PASSWORD)
    return {"Authorization": f"Bearer {token}"}


class Session:
    def __init__(self, client: httpx.AsyncClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def post(
        self, path: str, data: dict[str, str] | None = None, files: Any = None
    ) -> httpx.Response:
        return await self.client.post(path, data={"csrf": self.csrf, **(data or {})}, files=files)

    async def save(self, path: str, data: dict[str, str]) -> None:
        """A console form posted and taken (the console answers a save with a 303)."""
        res = await self.post(path, data)
        assert res.status_code == 303, res.text


@pytest.fixture
async def manager(server: str, auth: AuthService) -> AsyncIterator[Session]:
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        yield Session(client, await log_in(client, "hoa"))


@pytest.fixture
async def staff_session(server: str, auth: AuthService) -> AsyncIterator[Session]:
    await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        yield Session(client, await log_in(client, "lan"))
