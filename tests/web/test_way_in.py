"""One way in: every request, whichever route it takes (a kiosk's ticket call with no
cookie, a page script's call with the session cookie, a page, a WebSocket, an address that
does not exist), passes the application's middleware, so that what is added there
(metrics, access logs, tracing) sees all of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from websockets.asyncio.client import connect as ws_connect

from queue_server import config as config_mod
from queue_server.services.queue import QueueService
from queue_server.web.app import SESSION_COOKIE, create_app
from tests.conftest import OFFICE
from tests.support.server import ServerThread


class Recorder:
    """A pure ASGI middleware that notes each request and the status it was answered with."""

    seen: ClassVar[list[tuple[str, str, str, int]]] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        noted = False

        async def noting(message: Message) -> None:
            # Noted as the answer starts, before the client can have it.
            nonlocal noted
            if not noted and message["type"] in ("http.response.start", "websocket.accept"):
                noted = True
                code = int(message.get("status", 101))
                method = scope.get("method", "WS")
                Recorder.seen.append((scope["type"], method, scope["path"], code))
            await send(message)

        await self.app(scope, receive, noting)


@pytest.fixture
def recorded(r: Any, config: config_mod.Config) -> Iterator[str]:
    app = create_app(config)
    app.add_middleware(Recorder)
    Recorder.seen = []
    thread = ServerThread(app)
    url = thread.start()
    yield url
    thread.stop()


async def test_a_middleware_sees_every_way_in(recorded: str) -> None:
    api = f"/api/v1/offices/{OFFICE}"
    async with httpx.AsyncClient(base_url=recorded, timeout=10) as http:
        kiosk = await http.post(f"{api}/tickets", json={"field": "HT"})
        assert kiosk.status_code == 201
        cookie = {"Cookie": f"{SESSION_COOKIE}=not-a-session"}
        script = await http.get(f"/api/v1/tickets/{kiosk.json()['id']}", headers=cookie)
        assert script.status_code == 200
        assert (await http.get(f"/kiosk/{OFFICE}")).status_code == 200
        assert (await http.get(f"{api}/tickets")).status_code == 405
        assert (await http.post("/api/v1/nothing-here")).status_code == 404
        assert (await http.post(f"{api}/tickets", json={"field": "ZZ"})).status_code == 404
    ws_url = recorded.replace("http://", "ws://") + f"/ws/offices/{OFFICE}"
    async with ws_connect(ws_url) as ws:
        await ws.recv()  # the snapshot
    ticket = kiosk.json()["id"]
    assert Recorder.seen[:6] == [
        ("http", "POST", f"{api}/tickets", 201),
        ("http", "GET", f"/api/v1/tickets/{ticket}", 200),
        ("http", "GET", f"/kiosk/{OFFICE}", 200),
        ("http", "GET", f"{api}/tickets", 405),
        ("http", "POST", "/api/v1/nothing-here", 404),
        ("http", "POST", f"{api}/tickets", 404),
    ]
    assert ("websocket", "WS", f"/ws/offices/{OFFICE}", 101) in Recorder.seen[6:]


API = f"/api/v1/offices/{OFFICE}"


async def test_fallbacks_answer_as_before(http: httpx.AsyncClient) -> None:
    wrong = await http.get(f"{API}/tickets")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    missing = await http.post("/api/v1/nothing-here", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.json()["error"] == {"code": "not_found", "message": "no such address"}


async def test_errors_use_the_error_table(http: httpx.AsyncClient) -> None:
    unknown = await http.post(f"{API}/tickets", json={"field": "ZZ"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    bad = await http.post(
        f"{API}/tickets", content=b"{",
        headers={"Accept-Language": "en", "Content-Type": "application/json"},
    )  # fmt: skip
    assert bad.status_code == 400 and "malformed JSON" in bad.json()["error"]["message"]
    nobody = await http.post(f"{API}/counters/1/open")
    assert nobody.status_code == 401 and nobody.headers["www-authenticate"] == "Bearer"


async def test_an_unexpected_error_is_a_logged_json_500(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(self: QueueService, ticket_id: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(QueueService, "get", broken)
    resp = await http.get(f"/api/v1/tickets/{OFFICE}.abcdefghij")
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == "internal"
    # One traceback, under the application's logger (none from the server after it).
    logged = [r for r in caplog.records if r.exc_info and "a bug" in str(r.exc_info[1])]
    assert [(r.name, r.getMessage()) for r in logged] == [
        ("sothutu", f"unexpected error on GET /api/v1/tickets/{OFFICE}.abcdefghij")
    ]
    # The server goes on serving.
    assert (await http.get(API)).status_code == 200


async def test_an_unexpected_error_with_a_cookie_or_on_a_page_is_a_500_in_the_callers_shape(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call with a session cookie (a page script) still gets the JSON error shape, a page
    a line of text, and both in the reader's language."""

    async def broken(self: QueueService, ticket_id: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(QueueService, "get", broken)
    cookie = {"Cookie": f"{SESSION_COOKIE}=not-a-session"}
    api = await http.get(f"/api/v1/tickets/{OFFICE}.abcdefghij", headers=cookie)
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "internal"
    assert "Lỗi máy chủ" in api.json()["error"]["message"]
    english = await http.get(
        f"/api/v1/tickets/{OFFICE}.abcdefghij", headers={**cookie, "Accept-Language": "en"}
    )
    assert english.json()["error"]["message"] == "internal server error; the error was logged"
    page = await http.get(f"/t/{OFFICE}.abcdefghij")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/plain")
    assert "Lỗi máy chủ" in page.text
    assert (await http.get(API)).status_code == 200
