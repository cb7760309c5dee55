"""Every console route: anonymous visitors go to the login page, staff get a 403 page,
managers get in. The route list is taken from the app, so a new route cannot escape."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from queue_server import config as config_mod
from queue_server.rules.speech import clip_name
from queue_server.services.auth import AuthService
from queue_server.store.accounts import Accounts
from queue_server.store.connection import EmbeddedRedis, connect
from queue_server.web.app import create_app
from tests.conftest import ROOT
from tests.support.console import OFFICE, PASSWORD, csrf_of
from tests.support.server import ServerThread

# A value for each path parameter of the console's routes.
PARAMS = {
    "office": OFFICE,
    "code": "HT",
    "pcode": "1.001193",
    "number": "1",
    "name": "kiosk-1",
    "word": "moi",
    "printer": "kiosk-1",
    "job": "1-0",
    "stem": clip_name("mời"),
}


def console_routes() -> list[tuple[str, str, str]]:
    app = create_app(config_mod.load(ROOT / "config.toml"))
    out = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/manage/"):
            module = getattr(route.endpoint, "__module__", "")
            path = route.path
            for name in re.findall(r"{(\w+)(?::\w+)?}", path):
                assert name in PARAMS, f"{path}: give the test a value for {{{name}}}"
                path = re.sub(rf"{{{name}(:\w+)?}}", PARAMS[name], path)
            for method in sorted((route.methods or set()) - {"HEAD"}):
                out.append((method, path, module))
    return out


ROUTES = console_routes()


def test_the_console_has_its_pages() -> None:
    paths = {p for _, p, _ in ROUTES}
    for page in (
        "",
        "/fields",
        "/counters",
        "/priority",
        "/calendar",
        "/appointments",
        "/staff",
        "/devices",
        "/voice",
        "/qr",
        "/reports",
        "/export",
        "/config.toml",
    ):
        assert f"/manage/{OFFICE}{page}" in paths


class Console:
    """One server for the whole table (starting one per route would take minutes), with an
    anonymous, a staff and a manager client; the office is put back after each change."""

    def __init__(self, redis_server: EmbeddedRedis, data_dir: Path) -> None:
        cfg = config_mod.load(ROOT / "config.toml")
        cfg = dataclasses.replace(
            cfg,
            redis=dataclasses.replace(cfg.redis, url=redis_server.url()),
            server=dataclasses.replace(cfg.server, data_dir=data_dir),
        )
        self.redis_url = redis_server.url()
        asyncio.run(self._setup())
        self.app: Starlette = create_app(cfg)
        self.thread = ServerThread(self.app)
        base = self.thread.start()
        self.original = cfg.office(OFFICE)
        self.anonymous = httpx.Client(base_url=base, timeout=10)
        self.staff = self._log_in(base, "lan")
        self.manager = self._log_in(base, "hoa")

    async def _setup(self) -> None:
        client = connect(self.redis_url)
        await client.flushall()
        auth = AuthService(Accounts(client))
        await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])
        await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
        await client.aclose()

    def _log_in(self, base: str, name: str) -> tuple[httpx.Client, str]:
        client = httpx.Client(base_url=base, timeout=10)
        csrf = csrf_of(client.get("/login").text)
        res = client.post("/login", data={"csrf": csrf, "username": name, "password": PASSWORD})
        assert res.status_code == 303
        return client, csrf_of(client.get("/login").text)

    def restore(self) -> None:
        # On the server's loop: the registry's store runs on the server's client.
        assert self.original is not None and self.thread.loop is not None
        put_back = self.app.state.services.offices.save_table(OFFICE, self.original.raw, "test")
        asyncio.run_coroutine_threadsafe(put_back, self.thread.loop).result(10)

    def close(self) -> None:
        for c in (self.anonymous, self.staff[0], self.manager[0]):
            c.close()
        self.thread.stop()


@pytest.fixture(scope="module")
def console(
    redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    c = Console(redis_server, tmp_path_factory.mktemp("data"))
    yield c
    c.close()


@pytest.mark.parametrize(("method", "path", "module"), ROUTES)
def test_roles(console: Console, method: str, path: str, module: str) -> None:
    res = console.anonymous.request(method, path)
    assert res.status_code == 303
    assert res.headers["location"].startswith("/login?next=")

    staff, csrf = console.staff
    res = staff.request(method, path, data={"csrf": csrf} if method == "POST" else None)
    assert res.status_code == 403
    if module.startswith("queue_server.web.manage"):
        assert "Không có quyền truy cập" in res.text

    manager, csrf = console.manager
    if method == "POST":
        # An empty form: saved or refused with a message, never a 403 or a crash.
        res = manager.post(path, data={"csrf": csrf})
        assert res.status_code in (303, 400, 404), res.text[:500]
        console.restore()
    else:
        res = manager.get(path)
        assert res.status_code == 200, res.text[:500]
