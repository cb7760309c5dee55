"""The short way in for cookie-less API calls (web/front.py): it finds the route Starlette
would, answers errors from the same table, and leaves everything else to Starlette."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Match, Route

from queue_server import config as config_mod
from queue_server.services.queue import QueueService
from queue_server.web.app import SESSION_COOKIE, create_app
from queue_server.web.front import API_PREFIX, ApiTable
from tests.conftest import OFFICE

API = f"/api/v1/offices/{OFFICE}"


def concrete(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_the_table_finds_the_route_starlette_would(config: config_mod.Config) -> None:
    app = create_app(config)
    table = ApiTable(app.routes)
    api_routes = [r for r in app.routes if isinstance(r, Route) and r.path.startswith(API_PREFIX)]
    assert len(api_routes) >= 30
    checked = 0
    for route in api_routes:
        for value in ("1", "x.abcdefgh", "tickets"):
            for method in sorted(route.methods or {"GET"}):
                scope = {"type": "http", "path": concrete(route.path, value), "method": method}
                starlette = next((r for r in app.routes if r.matches(scope)[0] is Match.FULL), None)
                found = table.match(scope)
                if found is None:
                    # Only endpoints that are not async functions go the long way.
                    assert starlette is not None
                    continue
                assert isinstance(starlette, Route)
                assert found[0] is starlette.endpoint, (scope, starlette.path)
                assert found[1] == starlette.matches(scope)[1]["path_params"]
                checked += 1
    assert checked >= 60


def test_paths_outside_the_table_are_not_matched(config: config_mod.Config) -> None:
    table = ApiTable(create_app(config).routes)
    for method, path in (
        ("GET", f"{API}/tickets"),  # a POST route: Starlette answers 405
        ("POST", "/api/v1/nothing-here"),
        ("GET", f"{API}/"),  # a trailing slash: Starlette's redirect
        ("GET", "/healthz"),
    ):
        assert table.match({"type": "http", "path": path, "method": method}) is None


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
    bad = await http.post(f"{API}/tickets", content=b"{", headers={"Accept-Language": "en"})
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
    assert any("a bug" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    # The server goes on serving.
    assert (await http.get(API)).status_code == 200


async def test_an_unexpected_error_on_the_long_way_in_is_a_500_in_the_callers_shape(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call with a session cookie, and a page, go through Starlette's middleware: the API
    call still gets the JSON error shape, the page a line of text, and both in the
    reader's language."""

    async def broken(self: QueueService, ticket_id: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(QueueService, "get", broken)
    # uvicorn closes the connection after the app raised (once the 500 has gone out).
    cookie = {"Cookie": f"{SESSION_COOKIE}=not-a-session", "Connection": "close"}
    api = await http.get(f"/api/v1/tickets/{OFFICE}.abcdefghij", headers=cookie)
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "internal"
    assert "Lỗi máy chủ" in api.json()["error"]["message"]
    english = await http.get(
        f"/api/v1/tickets/{OFFICE}.abcdefghij", headers={**cookie, "Accept-Language": "en"}
    )
    assert english.json()["error"]["message"] == "internal server error; the error was logged"
    page = await http.get(f"/t/{OFFICE}.abcdefghij", headers={"Connection": "close"})
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/plain")
    assert "Lỗi máy chủ" in page.text
    assert (await http.get(API)).status_code == 200


def test_app_state_reads_as_plain_attributes(config: config_mod.Config) -> None:
    state = create_app(config).state
    state.queue = "q"
    assert state.queue == "q" and state["queue"] == "q" and "queue" in vars(state)
    assert getattr(state, "printing", None) is None
    del state.queue
    assert "queue" not in vars(state) and list(state) == []
    with pytest.raises(AttributeError):
        _ = state.queue
