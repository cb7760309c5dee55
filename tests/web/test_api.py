"""The JSON API over real HTTP: answers, auth, and every class of bad input."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from queue_server.services.auth import AuthService
from tests.conftest import OFFICE

API = f"/api/v1/offices/{OFFICE}"


async def test_office_and_openapi(http: httpx.AsyncClient) -> None:
    office = (await http.get(API)).json()
    assert office["slug"] == OFFICE
    assert [f["code"] for f in office["fields"]] == ["HT", "CT", "DD", "LD", "TP"]
    assert office["fields"][0]["procedures"][0]["name_vi"] == "Đăng ký khai sinh"
    spec = (await http.get("/api/v1/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    for path in (f"{API}/tickets".replace(OFFICE, "{office}"), "/api/v1/tickets/{id}/transfer"):
        assert path in spec["paths"]
    assert (await http.get("/healthz")).json()["status"] == "ok"


async def test_ticket_flow_over_http(http: httpx.AsyncClient, staff: dict[str, str]) -> None:
    issued = await http.post(f"{API}/tickets", json={"field": "HT", "priority": "elderly"})
    assert issued.status_code == 201
    t = issued.json()
    assert t["number"] == "A001" and t["priority"] == "elderly" and t["status"] == "waiting"
    assert t["position"] == 0 and isinstance(t["estimated_wait_s"], int) and t["issued_at"] > 0
    assert (await http.post(f"{API}/counters/1/open", headers=staff)).json()["status"] == "open"
    called = await http.post(f"{API}/counters/1/call-next", headers=staff)
    assert called.status_code == 200 and called.json()["id"] == t["id"]
    assert (await http.post(f"{API}/counters/1/call-next", headers=staff)).status_code == 409
    for action in ("recall", "start", "finish"):
        resp = await http.post(
            f"/api/v1/tickets/{t['id']}/{action}", headers=staff, json={"counter": 1}
        )
        assert resp.status_code == 200, resp.text
    got = (await http.get(f"/api/v1/tickets/{t['id']}")).json()
    assert got["status"] == "done" and got["recalls"] == 1
    assert (await http.post(f"{API}/counters/1/call-next", headers=staff)).status_code == 204
    queue = (await http.get(f"{API}/queue", headers=staff)).json()
    assert queue["counters"][0]["status"] == "open"


async def test_transfer_cancel_and_call_specific(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    a = (await http.post(f"{API}/tickets", json={"field": "HT"})).json()
    b = (await http.post(f"{API}/tickets", json={"field": "HT"})).json()
    moved = await http.post(
        f"/api/v1/tickets/{a['id']}/transfer", headers=staff, json={"field": "CT"}
    )
    assert moved.status_code == 200 and moved.json()["field"] == "CT"
    await http.post(f"{API}/counters/2/open", headers=staff)
    called = await http.post(f"/api/v1/tickets/{b['id']}/call", headers=staff, json={"counter": 2})
    assert called.json()["counter"] == 2
    noshow = await http.post(f"/api/v1/tickets/{b['id']}/no-show", headers=staff, json={})
    assert noshow.json()["status"] == "no_show"
    # The holder of a ticket may cancel it without logging in.
    assert (await http.post(f"/api/v1/tickets/{a['id']}/cancel")).json()["status"] == "cancelled"


async def test_idempotency_key_over_http(http: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "kiosk-2-0c5e1f9a"}
    first = await http.post(f"{API}/tickets", json={"field": "CT"}, headers=headers)
    again = await http.post(f"{API}/tickets", json={"field": "CT"}, headers=headers)
    assert first.json()["id"] == again.json()["id"] and again.status_code == 201


async def test_auth(http: httpx.AsyncClient, auth: AuthService, staff: dict[str, str]) -> None:
    t = (await http.post(f"{API}/tickets", json={"field": "HT"})).json()
    # No token, a wrong token: 401. Nothing changes.
    for headers in ({}, {"Authorization": "Bearer nope"}):
        resp = await http.post(f"{API}/counters/1/open", headers=headers)
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "unauthorized"
    wrong = await http.post(
        "/api/v1/auth/token", json={"username": "lan", "password": "sai-mat-khau"}
    )
    assert wrong.status_code == 401
    ok = await http.post("/api/v1/auth/token", json={"username": "lan", "password": "mat-khau-123"})
    assert ok.status_code == 200 and ok.json()["role"] == "staff"
    # A kiosk device may issue tickets but not call them: 403.
    kiosk = await auth.add_device("kiosk-sanh-1", "kiosk", OFFICE)
    resp = await http.post(f"{API}/counters/1/open", headers={"Authorization": f"Bearer {kiosk}"})
    assert resp.status_code == 403
    assert (await http.get(f"{API}/queue")).status_code == 401
    assert (await http.get(f"/api/v1/tickets/{t['id']}")).json()["status"] == "waiting"


async def test_kiosk_token_needed_when_office_closes_its_kiosk(
    r: Any, config: Any, auth: AuthService
) -> None:
    import dataclasses

    from tests.conftest import start_server

    closed = dataclasses.replace(config.offices[0], open_kiosk=False)
    thread = start_server(dataclasses.replace(config, offices=(closed,)))
    base = thread.start()
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            assert (await http.post(f"{API}/tickets", json={"field": "HT"})).status_code == 401
            display = await auth.add_device("tv-1", "display", OFFICE)
            h = {"Authorization": f"Bearer {display}"}
            assert (
                await http.post(f"{API}/tickets", json={"field": "HT"}, headers=h)
            ).status_code == 403
            kiosk = await auth.add_device("kiosk-1", "kiosk", OFFICE)
            h = {"Authorization": f"Bearer {kiosk}"}
            assert (
                await http.post(f"{API}/tickets", json={"field": "HT"}, headers=h)
            ).status_code == 201
    finally:
        thread.stop()


BAD = [
    ("post", "/api/v1/offices/nowhere/tickets", {"json": {"field": "HT"}}, 404, "not_found"),
    ("post", f"{API}/tickets", {"json": {"field": "ZZ"}}, 404, "not_found"),
    ("post", f"{API}/tickets", {"json": {}}, 400, "bad_request"),
    ("post", f"{API}/tickets", {"json": {"field": 7}}, 400, "bad_request"),
    ("post", f"{API}/tickets", {"json": {"field": "HT", "priority": "vip"}}, 400, "bad_request"),
    (
        "post",
        f"{API}/tickets",
        {"json": {"field": "HT", "priority": "appointment"}},
        400,
        "bad_request",
    ),
    ("post", f"{API}/tickets", {"json": ["HT"]}, 400, "bad_request"),
    (
        "post",
        f"{API}/tickets",
        {"content": b'{"field": "HT"', "headers": {"content-type": "application/json"}},
        400,
        "bad_request",
    ),
    (
        "post",
        f"{API}/tickets",
        {"content": b"\xff\xfe", "headers": {"content-type": "application/json"}},
        400,
        "bad_request",
    ),
    ("post", f"{API}/tickets", {"json": {"field": "HT", "pad": "x" * 70_000}}, 413, "too_large"),
    (
        "post",
        f"{API}/tickets",
        {"json": {"field": "HT"}, "headers": {"Idempotency-Key": "a b"}},
        400,
        "bad_request",
    ),
    ("get", "/api/v1/tickets/nonsense", {}, 404, "not_found"),
    ("get", f"/api/v1/tickets/{OFFICE}.AAAAAAAAAAAAAAAA", {}, 404, "not_found"),
    ("get", "/api/v1/nowhere", {}, 404, "not_found"),
    ("put", f"{API}/tickets", {}, 405, "method_not_allowed"),
]


@pytest.mark.parametrize(("method", "url", "kwargs", "status", "code"), BAD)
async def test_bad_input_gets_a_clear_4xx_and_changes_nothing(
    http: httpx.AsyncClient, method: str, url: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    resp = await http.request(method.upper(), url, **kwargs)
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == code and len(err["message"]) > 5
    # Nothing was issued by the bad request: the next ticket is still the first.
    assert (await http.post(f"{API}/tickets", json={"field": "HT"})).json()["number"] == "A001"


STAFF_BAD = [
    (f"{API}/counters/99/open", {}, 404),
    (f"{API}/counters/abc/open", {}, 400),
    (f"{API}/counters/1/call-next", {}, 409),  # not open
    ("/api/v1/tickets/{id}/start", {}, 409),  # waiting, not called
    ("/api/v1/tickets/{id}/call", {}, 400),  # counter missing
    ("/api/v1/tickets/{id}/call", {"counter": "1"}, 400),  # wrong type
    ("/api/v1/tickets/{id}/call", {"counter": 1}, 409),  # counter 1 not open
    ("/api/v1/tickets/{id}/transfer", {}, 400),
    ("/api/v1/tickets/{id}/transfer", {"field": "ZZ"}, 404),
    ("/api/v1/tickets/{id}/transfer", {"counter": 77}, 404),
    ("/api/v1/tickets/{id}/transfer", {"field": "HT"}, 409),  # already there
]


@pytest.mark.parametrize(("url", "body", "status"), STAFF_BAD)
async def test_bad_staff_requests(
    http: httpx.AsyncClient, staff: dict[str, str], url: str, body: dict[str, Any], status: int
) -> None:
    t = (await http.post(f"{API}/tickets", json={"field": "HT"})).json()
    resp = await http.post(url.replace("{id}", t["id"]), json=body, headers=staff)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["message"]
    after = (await http.get(f"/api/v1/tickets/{t['id']}")).json()
    assert (after["status"], after["field"], after["lane"]) == ("waiting", "HT", "HT")


async def test_errors_in_english_on_request(http: httpx.AsyncClient) -> None:
    vi = (await http.post(f"{API}/tickets", json={"field": "ZZ"})).json()["error"]["message"]
    en_resp = await http.post(f"{API}/tickets?lang=en", json={"field": "ZZ"})
    en = en_resp.json()["error"]["message"]
    assert "lĩnh vực" in vi and "field of service" in en


async def test_a_chunked_body_is_read_up_to_the_limit(http: httpx.AsyncClient) -> None:
    """Without a Content-Length the body arrives in chunks: it is refused as soon as it is
    past the limit, and one within it is read whole."""

    async def chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
        for i in range(0, len(body), size):
            yield body[i : i + size]

    big = json.dumps({"field": "HT", "pad": "x" * 200_000}).encode()
    as_json = {"content-type": "application/json"}
    resp = await http.post(f"{API}/tickets", content=chunks(big, 1024), headers=as_json)
    assert "content-length" not in resp.request.headers
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"
    small = json.dumps({"field": "HT", "priority": "elderly"}).encode()
    resp = await http.post(f"{API}/tickets", content=chunks(small, 5), headers=as_json)
    assert resp.status_code == 201 and resp.json()["number"] == "A001"
    assert resp.json()["priority"] == "elderly"
