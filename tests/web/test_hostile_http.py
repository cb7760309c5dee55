"""What a careless or curious client sends, against a running server: requests without
credentials to every protected route, methods a route does not serve, bodies that are not
JSON, numbers written as 28.0. The route table itself is walked, so a route added later is
held to the same rules without anyone remembering to add it here."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.routing import BaseRoute, Match, Mount, Route

from queue_server.config import Config
from queue_server.web.app import create_app
from tests.conftest import OFFICE

API = f"/api/v1/offices/{OFFICE}"
# Values that name nothing: a route that looks them up before asking who calls answers 404.
UNKNOWN = {
    "office": "khong-co-don-vi", "id": "khong-co-don-vi.AAAAAAAAAAAAAAAA", "n": "99",
    "code": "ZZZZZZZZ", "name": "khong-co", "job": "1-1", "number": "99", "pcode": "9.999",
    "printer": "khong-co", "stem": "khong-co", "clip": "khong-co", "field": "ZZ",
}  # fmt: skip
# Routes anyone may call, each with the reason. Every other route must refuse a caller
# without credentials (API: 401; page: a redirect to the login page) before it looks up
# anything named in its path.
PUBLIC: dict[str, str] = {
    "/healthz": "monitoring",
    "/readyz": "monitoring: a load balancer or orchestrator asks before sending traffic",
    "/favicon.ico": "browsers ask for it on every page",
    "/login": "the login form itself (its POST is refused without the form's CSRF token)",
    "/logout": "ends whatever session the cookie holds",
    "/api/v1/openapi.json": "the API's description",
    "/api/v1/auth/token": "logging in",
    "/api/v1/noop": "the HTTP stack alone, for benchmarks",
    "/api/v1/offices/{office}": "the office's fields and counters, read by kiosks and boards",
    "/api/v1/offices/{office}/overview": "waiting counts for the kiosk and the public board",
    "/api/v1/offices/{office}/tickets": "kiosk: open to anyone when the office has"
    " open_kiosk, so the office must be known first",
    "/api/v1/offices/{office}/check-in": "kiosk check-in, as for issuing a ticket",
    "/api/v1/offices/{office}/appointments/slots": "online booking",
    "/api/v1/offices/{office}/appointments": "online booking",
    "/api/v1/offices/{office}/appointments/{code}": "the booking code is the capability",
    "/api/v1/offices/{office}/appointments/{code}/cancel": "the booking code is the capability",
    "/api/v1/offices/{office}/appointments/{code}/reschedule": "the booking code is the capability",
    "/api/v1/tickets/{id}": "the ticket id (96 random bits) is the capability",
    "/api/v1/tickets/{id}/cancel": "the citizen cancels their own ticket",
    "/api/v1/tickets/{id}/rating": "anonymous rating by the ticket's holder",
    "/kiosk/{office}": "the kiosk page",
    "/kiosk/{office}/check-in": "the kiosk's check-in page",
    "/t/{id}": "the ticket's status page (QR code)",
    "/t/{id}/qr.svg": "the ticket's QR code",
    "/t/{id}/rate": "the citizen's rating page",
    "/appointments/{code}": "a booking or pickup link (QR code)",
    "/appointments/{code}/slip": "the pickup slip, by its code",
    "/appointments/{code}/slip.png": "the pickup slip, by its code",
    "/book/{office}": "online booking",
    "/book/{office}/{code}": "the citizen's booking page",
    "/book/{office}/{code}/qr.png": "the booking's QR code",
    "/book/{office}/{code}/calendar.ics": "the booking as a calendar entry",
    "/book/{office}/{code}/cancel": "the citizen changes their booking",
    "/book/{office}/{code}/reschedule": "the citizen changes their booking",
    "/guide/{office}": "procedure guidance for citizens",
    "/guide/{office}/{field}": "procedure guidance for citizens",
    "/board/{office}": "the TV board (it authenticates its socket, not its page)",
    "/board/{office}/layout": "the board's layout",
    "/voice/{office}/say": "the board's voice",
    "/voice/{office}/manifest.json": "the board's voice clips",
    "/voice/{office}/{clip}.wav": "the board's voice clips",
}
PROBED = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def http_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            yield from http_routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def concrete(path: str) -> str:
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: UNKNOWN[m.group(1)], path)


@pytest.fixture
def table(config: Config) -> list[tuple[str, Route]]:
    return list(http_routes(create_app(config).routes))


def test_the_public_list_names_only_served_routes(table: list[tuple[str, Route]]) -> None:
    assert set(PUBLIC) <= {path for path, _ in table}, set(PUBLIC) - {p for p, _ in table}


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no token", "wrong token"])
async def test_every_protected_route_asks_who_before_what(
    http: httpx.AsyncClient, table: list[tuple[str, Route]], token: str | None
) -> None:
    """Without valid credentials, a protected route answers 401 (API) or sends to the login
    page (a page), for an office, ticket or id that does not exist as for one that does:
    a 404 would tell a stranger which names exist."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    wrong: list[str] = []
    checked = 0
    for path, route in table:
        if path in PUBLIC:
            continue
        for method in sorted(route.methods or ()):
            sent = dict(headers)
            if method == "POST":
                sent["Content-Type"] = "application/json"
            body = b"{}" if method == "POST" else None
            res = await http.request(method, concrete(path), content=body, headers=sent)
            checked += 1
            if path.startswith("/api/"):
                ok = res.status_code == 401 and (
                    method == "HEAD" or res.json()["error"]["code"] == "unauthorized"
                )
            else:
                location = res.headers.get("location", "")
                ok = res.status_code == 303 and urlsplit(location).path == "/login"
            if not ok:
                wrong.append(f"{method} {path}: {res.status_code} {res.text[:80]}")
    assert checked > 100
    assert not wrong, "\n".join(wrong)


async def test_every_405_says_what_is_allowed(
    http: httpx.AsyncClient, table: list[tuple[str, Route]]
) -> None:
    """RFC 9110: a 405 carries `Allow`, naming every method the resource serves, whichever
    route of the table serves it."""
    wrong: list[str] = []
    seen = 0
    for path, _ in table:
        url = concrete(path)
        served: set[str] = set()
        for _, route in table:
            for method in PROBED:
                scope = {"type": "http", "path": url, "method": method, "root_path": ""}
                if route.matches(scope)[0] is Match.FULL:
                    served.add(method)
        for method in set(PROBED) - served:
            res = await http.request(method, url)
            seen += 1
            allow = {m.strip() for m in res.headers.get("allow", "").split(",") if m.strip()}
            if res.status_code != 405 or allow != served:
                wrong.append(f"{method} {url}: {res.status_code}, Allow {allow} not {served}")
            elif method != "HEAD" and res.json()["error"]["code"] != "method_not_allowed":
                wrong.append(f"{method} {url}: {res.text[:80]}")
    assert seen > 300
    assert not wrong, "\n".join(wrong)


async def test_static_files_answer_405_with_allow(http: httpx.AsyncClient) -> None:
    for prefix in ("/static/api.js", "/display/static/board.js"):
        res = await http.post(prefix)
        assert res.status_code == 405 and res.headers["allow"] == "GET, HEAD", prefix


async def raw(server: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends `request` as it is over a socket; the status, headers and body answered."""
    url = urlsplit(server)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", "0"))), 10)
    writer.close()
    return int(lines[0].split()[1]), headers, body


def post(path: str, body: bytes, content_type: str | None, extra: str = "") -> bytes:
    ctype = f"Content-Type: {content_type}\r\n" if content_type is not None else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: sothutu\r\n{ctype}{extra}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


NOT_JSON = [
    ("text/plain", b'{"field": "HT"}'),
    ("application/x-www-form-urlencoded", b"field=HT"),
    ("multipart/form-data; boundary=b", b'--b\r\nContent-Disposition: form-data; name="field"'
     b"\r\n\r\nHT\r\n--b--\r\n"),
    (None, b'{"field": "HT"}'),
    ("application/json; charset=latin-1", b'{"field": "HT"}'),
    ("application/jsonx", b'{"field": "HT"}'),
    ("json", b'{"field": "HT"}'),
]  # fmt: skip


@pytest.mark.parametrize(("ctype", "body"), NOT_JSON, ids=[str(c) for c, _ in NOT_JSON])
async def test_a_body_not_sent_as_json_is_415_and_issues_nothing(
    server: str, http: httpx.AsyncClient, ctype: str | None, body: bytes
) -> None:
    status, _, answer = await raw(server, post(f"{API}/tickets", body, ctype))
    assert status == 415, answer
    error = httpx.Response(415, content=answer).json()["error"]
    assert error["code"] == "unsupported_media_type" and "Content-Type" in error["message"]
    overview = (await http.get(f"{API}/overview")).json()
    assert all(f["waiting"] == 0 for f in overview["fields"]), overview


async def test_415_speaks_english_on_request(server: str) -> None:
    status, _, answer = await raw(
        server, post(f"{API}/tickets?lang=en", b"field=HT", "application/x-www-form-urlencoded")
    )
    message = httpx.Response(status, content=answer).json()["error"]["message"]
    assert status == 415 and message.startswith("the body must be JSON"), message


JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON;charset=UTF-8",
    "application/merge-patch+json",
    'application/json; charset="utf-8"',
]


@pytest.mark.parametrize("ctype", JSON_TYPES)
async def test_json_media_types_are_read(server: str, ctype: str) -> None:
    status, _, answer = await raw(server, post(f"{API}/tickets", b'{"field": "HT"}', ctype))
    assert status == 201, answer


async def test_an_empty_body_needs_no_content_type(server: str, staff: dict[str, str]) -> None:
    """A POST without a body (open a counter, call the next) is not refused for its type;
    one with an empty body of another type neither."""
    auth = f"Authorization: {staff['Authorization']}\r\n"
    status, _, answer = await raw(server, post(f"{API}/counters/1/open", b"", None, auth))
    assert status == 200, answer
    status, _, answer = await raw(server, post(f"{API}/counters/1/pause", b"", "text/plain", auth))
    assert status == 200, answer
    chunked = (
        f"POST {API}/counters/1/close HTTP/1.1\r\nHost: sothutu\r\n{auth}"
        "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        "2\r\n{}\r\n0\r\n\r\n"
    ).encode()
    status, _, answer = await raw(server, chunked)
    assert status == 415, answer


async def test_whole_numbers_written_as_floats_are_whole_numbers(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    await http.post(f"{API}/counters/1/open", headers=staff)
    ticket = (await http.post(f"{API}/tickets", json={"field": "HT"})).json()
    tid = ticket["id"]
    called = await http.post(f"/api/v1/tickets/{tid}/call", json={"counter": 1.0}, headers=staff)
    assert called.status_code == 200 and called.json()["counter"] in (1, "1"), called.text
    for step in ("start", "finish"):
        res = await http.post(f"/api/v1/tickets/{tid}/{step}", content=b'{"counter": 1.0}',
                              headers={**staff, "Content-Type": "application/json"})  # fmt: skip
        assert res.status_code == 200, res.text
    rated = await http.post(f"/api/v1/tickets/{tid}/rating", json={"level": 3.0})
    assert rated.status_code == 201 and rated.json()["level"] == 3, rated.text


@pytest.mark.parametrize(
    ("path", "body", "name"),
    [
        ("/api/v1/tickets/{id}/call", {"counter": 28.5}, "counter"),
        ("/api/v1/tickets/{id}/call", {"counter": 1e300}, "counter"),
        ("/api/v1/tickets/{id}/rating", {"level": 3.5}, "level"),
        ("/api/v1/tickets/{id}/rating", {"level": True}, "level"),
    ],
)
async def test_a_fraction_is_refused_as_before(
    http: httpx.AsyncClient, staff: dict[str, str], path: str, body: dict[str, Any], name: str
) -> None:
    tid = (await http.post(f"{API}/tickets", json={"field": "HT"})).json()["id"]
    res = await http.post(path.format(id=tid), json=body, headers=staff)
    assert res.status_code == 400, res.text
    assert f"'{name}'" in res.json()["error"]["message"]
