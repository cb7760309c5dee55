"""The public field overview the kiosk shows, and the kiosk/ticket pages' HTTP answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from queue_server import config as config_mod
from queue_server.rules.calling import Klass, Waiting
from queue_server.services.overview import new_ticket_ahead
from queue_server.web.app import create_app
from queue_server.web.kiosk.screen import CHECK_IN_PATH
from tests.conftest import OFFICE
from tests.support.server import ServerThread

API = f"/api/v1/offices/{OFFICE}"


def w(klass: Klass, score: float) -> Waiting:
    return Waiting(f"{klass}-{score}", klass, score)


@pytest.mark.parametrize(
    ("lane", "ahead"),
    [
        ([], 0),
        ([w("normal", 1), w("normal", 2)], 2),
        # Priority tickets go first, but at most `interleave` (2) per waiting normal one.
        ([w("priority", 1), w("priority", 2), w("priority", 3)], 2),
        ([w("normal", 1), w("priority", 2), w("priority", 3), w("priority", 4)], 4),
        ([w("normal", 1), w("normal", 2)] + [w("priority", i) for i in range(3, 13)], 8),
        # An appointment whose time has come goes first; a future one only when nobody waits.
        ([w("appointment", 1_000), w("normal", 1)], 2),
        ([w("appointment", 10**15), w("normal", 1)], 1),
    ],
)
def test_new_ticket_ahead(lane: list[Waiting], ahead: int) -> None:
    assert new_ticket_ahead(lane, interleave=2, now_ms=10**12) == ahead


def by_code(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["code"]: f for f in data["fields"]}


async def open_counter(http: httpx.AsyncClient, staff: dict[str, str], n: int) -> None:
    r = await http.post(f"{API}/counters/{n}/open", headers=staff)
    assert r.status_code == 200, r.text


async def issue(http: httpx.AsyncClient, field: str, priority: str | None = None) -> str:
    body = {"field": field} | ({"priority": priority} if priority else {})
    r = await http.post(f"{API}/tickets", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_every_field_unavailable_until_a_counter_opens(http: httpx.AsyncClient) -> None:
    r = await http.get(f"{API}/overview")
    assert r.status_code == 200
    data = r.json()
    assert data["office"] == OFFICE
    assert [f["code"] for f in data["fields"]] == ["HT", "CT", "DD", "LD", "TP"]
    for f in data["fields"]:
        assert f["available"] is False
        assert f["open_counters"] == 0
        assert f["reason"] == "no_open_counter"
        assert f["reason_text"] == "Chưa có quầy mở"
    en = await http.get(f"{API}/overview?lang=en")
    assert by_code(en.json())["HT"]["reason_text"] == "No counter is open"


async def test_waiting_and_estimate_follow_the_queue_and_open_counters(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    await open_counter(http, staff, 1)  # HT, TP
    for _ in range(2):
        await issue(http, "HT")
    await issue(http, "HT", "elderly")
    f = by_code((await http.get(f"{API}/overview")).json())
    ht = f["HT"]
    assert ht | {"name_vi": "Hộ tịch", "prefix": "A"} == ht
    assert (ht["waiting"], ht["open_counters"], ht["available"], ht["reason"]) == (3, 1, True, None)
    # A new normal ticket waits for all three; HT's configured service time is 12 minutes.
    assert ht["estimated_wait_s"] == 3 * 12 * 60
    assert f["TP"]["available"] and f["TP"]["waiting"] == 0 and f["TP"]["estimated_wait_s"] == 0
    assert not f["CT"]["available"]
    await open_counter(http, staff, 2)  # HT, CT: two counters share HT's line
    f = by_code((await http.get(f"{API}/overview")).json())
    assert f["HT"]["open_counters"] == 2
    assert f["HT"]["estimated_wait_s"] == 3 * 12 * 60 // 2
    assert f["CT"]["available"]
    r = await http.post(f"{API}/counters/1/call-next", headers=staff)
    assert r.status_code == 200
    assert by_code((await http.get(f"{API}/overview")).json())["HT"]["waiting"] == 2


async def test_overview_is_public_and_holds_no_ticket_ids(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    await open_counter(http, staff, 1)
    ticket_id = await issue(http, "HT")
    r = await http.get(f"{API}/overview")
    assert r.status_code == 200
    assert ticket_id.split(".", 1)[1] not in r.text
    assert r.headers["cache-control"] == "no-store"


async def test_overview_of_unknown_office_is_404(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/v1/offices/khong-co/overview")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "Không có đơn vị 'khong-co'."
    r = await http.get("/api/v1/offices/khong-co/overview?lang=en")
    assert r.json()["error"]["message"] == "no office 'khong-co'"


async def test_qr_code_of_unknown_ticket_is_404(http: httpx.AsyncClient) -> None:
    r = await http.get(f"/t/{OFFICE}.khongtontai123/qr.svg")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


async def test_qr_code_is_an_svg(http: httpx.AsyncClient) -> None:
    ticket_id = await issue(http, "HT")
    r = await http.get(f"/t/{ticket_id}/qr.svg")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/svg+xml"
    assert r.text.startswith("<svg") and "<path" in r.text


async def test_ticket_page_of_unknown_id_is_a_friendly_404(http: httpx.AsyncClient) -> None:
    for bad in (f"{OFFICE}.khongtontai123", "khong-co.abcdefghijkl", "x"):
        r = await http.get(f"/t/{bad}")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "Không tìm thấy số thứ tự" in r.text
    r = await http.get(f"/t/{OFFICE}.khongtontai123?lang=en")
    assert "Ticket not found" in r.text


async def test_ticket_page_is_not_cached(http: httpx.AsyncClient) -> None:
    ticket_id = await issue(http, "HT")
    r = await http.get(f"/t/{ticket_id}")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "private, no-store"
    assert "Hộ tịch" in r.text


async def test_kiosk_page_of_unknown_office_is_404(http: httpx.AsyncClient) -> None:
    r = await http.get("/kiosk/khong-co")
    assert r.status_code == 404
    assert "Không có đơn vị" in r.text


async def check_in(request: Request) -> Response:
    return PlainTextResponse("check-in")


@pytest.fixture
def apps(r: Any, config: config_mod.Config) -> Iterator[dict[bool, str]]:
    """Two servers: one whose app has the appointment check-in route, one without it."""
    servers: dict[bool, ServerThread] = {}
    for has in (True, False):
        app = create_app(config)
        routes = [x for x in app.router.routes if getattr(x, "path", None) != CHECK_IN_PATH]
        if has:
            routes.insert(0, Route(CHECK_IN_PATH, check_in))
        app.router.routes[:] = routes
        servers[has] = ServerThread(app)
    urls = {has: s.start() for has, s in servers.items()}
    yield urls
    for s in servers.values():
        s.stop()


async def test_appointment_button_only_when_check_in_exists(apps: dict[bool, str]) -> None:
    async with httpx.AsyncClient() as client:
        with_route = (await client.get(f"{apps[True]}/kiosk/{OFFICE}")).text
        without = (await client.get(f"{apps[False]}/kiosk/{OFFICE}")).text
    assert f'href="/kiosk/{OFFICE}/check-in"' in with_route
    assert "Tôi có lịch hẹn" in with_route
    assert "check-in" not in without
    assert "Tôi có lịch hẹn" not in without
