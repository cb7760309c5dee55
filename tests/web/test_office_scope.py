"""People and devices of one office can do nothing in another, through any route.

Two offices on one server. A manager of office A (through the login form's session, and
through a bearer token) and A's kiosk and display devices call every protected route of
the app's route table for office B, with every method it serves: each answers 403 (a page:
the page that says so). A manager of B, calling the same GET routes, passes the check, so
the 403s are the office's doing. The route table itself is walked, so a route added later
is held to the same rule without anyone remembering to add it here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Route
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from queue_server import config as config_mod
from queue_server.services.auth import AuthService
from queue_server.store.connection import EmbeddedRedis
from tests.conftest import OFFICE
from tests.support.console import PASSWORD, log_in
from tests.support.offices import OFFICE_B, two_offices
from tests.web.test_hostile_http import PUBLIC, UNKNOWN, http_routes

# Path parameters that name an office, directly or through what they name (a ticket id is
# "office.token"; a booking or pickup code is looked up).
OFFICE_PARAMS = {"office", "id", "code"}
# Protected routes that name no office, each with the reason.
OFFICELESS: dict[str, str] = {
    "/counter": "lists the offices the user works in, and only those",
}
# The province's own routes: for a province admin only, so every user of an office, and
# every device, gets 403 there. They are swept with the rest (no office to name).
ADMIN_ONLY = re.compile(r"^((/province|/api/v1/province)(/|$)|/api/v1/offices$)")


@pytest.fixture
def config(redis_server: EmbeddedRedis, tmp_path: Path) -> config_mod.Config:
    return two_offices(redis_server.url(), tmp_path / "data")


@pytest.fixture
def table(config: config_mod.Config) -> list[tuple[str, Route]]:
    from queue_server.web.app import create_app

    return list(http_routes(create_app(config).routes))


async def _b_things(http: httpx.AsyncClient, auth: AuthService) -> dict[str, str]:
    """A real ticket and result pickup of office B, and the values that name them."""
    await auth.add_user("binh", "staff", PASSWORD, offices=[OFFICE_B])
    token, _ = await auth.login("binh", PASSWORD)
    clerk = {"Authorization": f"Bearer {token}"}
    res = await http.post(f"/api/v1/offices/{OFFICE_B}/tickets", json={"field": "HT"})
    assert res.status_code == 201, res.text
    ticket = res.json()["id"]
    counter = f"/api/v1/offices/{OFFICE_B}/counters/1"
    assert (await http.post(f"{counter}/open", json={}, headers=clerk)).status_code == 200
    res = await http.post(f"{counter}/call-next", json={}, headers=clerk)
    assert res.status_code == 200, res.text
    res = await http.post(f"/api/v1/tickets/{ticket}/start", json={"counter": 1}, headers=clerk)
    assert res.status_code == 200, res.text
    res = await http.post(
        f"/api/v1/tickets/{ticket}/result", json={"procedure": "1.004873"}, headers=clerk
    )
    assert res.status_code == 201, res.text
    return {**UNKNOWN, "office": OFFICE_B, "id": ticket, "code": res.json()["code"], "n": "1"}


def _concrete(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: values[m.group(1)], path)


@pytest.fixture
async def b_values(http: httpx.AsyncClient, auth: AuthService) -> dict[str, str]:
    return await _b_things(http, auth)


@pytest.fixture
async def session_a(server: str, auth: AuthService) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        yield client, await log_in(client, "hoa")


def _protected(table: list[tuple[str, Route]]) -> list[tuple[str, Route]]:
    return [(path, route) for path, route in table if path not in PUBLIC]


def test_every_protected_route_names_its_office(table: list[tuple[str, Route]]) -> None:
    """A route that names no office cannot be checked against one: each is listed with its
    reason, so a new one is a decision, not an accident."""
    officeless = {
        path
        for path, _ in _protected(table)
        if not OFFICE_PARAMS & set(re.findall(r"{(\w+)", path)) and not ADMIN_ONLY.match(path)
    }
    assert officeless == set(OFFICELESS), officeless


async def _sweep(
    client: httpx.AsyncClient,
    table: list[tuple[str, Route]],
    values: dict[str, str],
    headers: dict[str, str],
    csrf: str | None,
    methods: tuple[str, ...] | None = None,
) -> dict[str, httpx.Response]:
    """Calls every protected route naming an office with each method it serves."""
    answers: dict[str, httpx.Response] = {}
    for path, route in _protected(table):
        if path in OFFICELESS:
            continue
        for method in sorted(route.methods or ()):
            if methods is not None and method not in methods:
                continue
            sent = dict(headers)
            content: bytes | None = None
            if method in ("POST", "DELETE"):
                if csrf is not None:
                    sent["X-CSRF-Token"] = csrf
                if path.startswith("/api/"):
                    sent["Content-Type"] = "application/json"
                    content = b"{}"
                else:
                    sent["Content-Type"] = "application/x-www-form-urlencoded"
                    content = f"csrf={csrf or ''}".encode()
            url = _concrete(path, values)
            res = await client.request(method, url, content=content, headers=sent)
            answers[f"{method} {path}"] = res
    return answers


def _not_403(answers: dict[str, httpx.Response]) -> list[str]:
    wrong = []
    for what, res in answers.items():
        ok = res.status_code == 403
        if ok and what.split()[1].startswith("/api/") and not what.startswith("HEAD"):
            ok = res.json()["error"]["code"] == "forbidden"
        if not ok:
            wrong.append(f"{what}: {res.status_code} {res.text[:100]}")
    return wrong


async def test_a_manager_of_one_office_is_refused_everywhere_in_another(
    session_a: tuple[httpx.AsyncClient, str],
    table: list[tuple[str, Route]],
    b_values: dict[str, str],
) -> None:
    client, csrf = session_a
    answers = await _sweep(client, table, b_values, {}, csrf)
    assert len(answers) > 100
    assert not _not_403(answers), "\n".join(_not_403(answers))
    # A page says why, in Vietnamese.
    page = answers["GET /manage/{office}"]
    assert "không thuộc đơn vị" in page.text and OFFICE_B in page.text


async def test_a_token_of_one_office_is_refused_everywhere_in_another(
    http: httpx.AsyncClient,
    auth: AuthService,
    table: list[tuple[str, Route]],
    b_values: dict[str, str],
) -> None:
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    token, _ = await auth.login("hoa", PASSWORD)
    tokens = {
        "manager": token,
        "kiosk": await auth.add_device("kiosk-a", "kiosk", OFFICE),
        "display": await auth.add_device("tv-a", "display", OFFICE),
        "printer": await auth.add_device("printer-a", "printer", OFFICE),
    }
    for who, secret in tokens.items():
        answers = await _sweep(http, table, b_values, {"Authorization": f"Bearer {secret}"}, None)
        # The consoles' forms take the session only (their CSRF token is the session's): a
        # bearer token is no credential there, and the form asks to log in.
        answers = {
            what: res
            for what, res in answers.items()
            if not (
                what.startswith("POST /")
                and not what.startswith("POST /api/")
                and res.status_code == 303
                and res.headers["location"].startswith("/login")
            )
        }
        wrong = _not_403(answers)
        assert not wrong, f"{who} of {OFFICE}:\n" + "\n".join(wrong)


async def test_a_manager_of_the_office_passes_the_same_checks(
    server: str,
    auth: AuthService,
    table: list[tuple[str, Route]],
    b_values: dict[str, str],
) -> None:
    """The control: B's own manager reads every GET route of B without a 401 or 403, so
    the refusals above are the office's, not the route's."""
    await auth.add_user("hung", "manager", PASSWORD, offices=[OFFICE_B])
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        csrf = await log_in(client, "hung")
        answers = await _sweep(client, table, b_values, {}, csrf, methods=("GET",))
    answers = {what: res for what, res in answers.items() if not ADMIN_ONLY.match(what.split()[1])}
    refused = [
        f"{what}: {res.status_code}"
        for what, res in answers.items()
        if res.status_code in (401, 403) or "/login" in res.headers.get("location", "")
    ]
    assert len(answers) > 30
    assert not refused, "\n".join(refused)


async def test_the_office_socket_refuses_another_offices_token(
    server: str, auth: AuthService, b_values: dict[str, str]
) -> None:
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    await auth.add_user("hung", "staff", PASSWORD, offices=[OFFICE_B])
    a_user, _ = await auth.login("hoa", PASSWORD)
    b_user, _ = await auth.login("hung", PASSWORD)
    a_board = await auth.add_device("tv-a", "display", OFFICE)
    base = server.replace("http://", "ws://") + f"/ws/offices/{OFFICE_B}"
    for token in (a_user, a_board):
        async with connect(f"{base}?token={token}") as ws:
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 4403
    # B's own clerk gets the staff view: ticket ids included.
    async with connect(f"{base}?token={b_user}") as ws:
        first: Any = await ws.recv()
        assert b_values["id"] in first
    # Anyone without a token still gets the public board.
    async with connect(base) as ws:
        first = await ws.recv()
        assert b_values["id"] not in first


async def test_the_manager_console_shows_and_changes_only_the_offices_people(
    server: str, auth: AuthService
) -> None:
    """The people page of office A lists A's people and the province admins, never B's;
    a manager of A cannot reset the password of someone who also works at B."""
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])
    await auth.add_user("hung", "manager", PASSWORD, offices=[OFFICE_B])
    await auth.add_user("mai", "staff", PASSWORD, offices=[OFFICE, OFFICE_B])
    await auth.add_user("root", "admin", PASSWORD)
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        csrf = await log_in(client, "hoa")
        page = await client.get(f"/manage/{OFFICE}/staff")
        listed = set(re.findall(r'data-user="([^"]+)"', page.text))
        assert listed == {"hoa", "lan", "mai", "root"}
        # A's manager may not take over an account B also relies on.
        res = await client.post(
            f"/manage/{OFFICE}/staff/mai/password",
            data={"csrf": csrf, "password": "mat-khau-moi-9"},
        )
        assert res.status_code == 400 and OFFICE_B in res.text
        await auth.login("mai", PASSWORD)  # unchanged
        # ...nor act on B's people through A's console.
        res = await client.post(f"/manage/{OFFICE}/staff/hung/delete", data={"csrf": csrf})
        assert res.status_code == 400
        await auth.login("hung", PASSWORD)
        # Removing mai from A leaves her B.
        res = await client.post(f"/manage/{OFFICE}/staff/mai/delete", data={"csrf": csrf})
        assert res.status_code == 303, res.text
        _, mai = await auth.login("mai", PASSWORD)
        assert dict(mai.grants) == {OFFICE_B: "staff"}
        # A user with no office left is removed altogether.
        res = await client.post(f"/manage/{OFFICE}/staff/lan/delete", data={"csrf": csrf})
        assert res.status_code == 303
        assert not await auth.user_exists("lan")
        # Added in A's console: a user of A only.
        res = await client.post(
            f"/manage/{OFFICE}/staff/add",
            data={"csrf": csrf, "name": "tuan", "role": "staff", "password": PASSWORD},
        )
        assert res.status_code == 303, res.text
        _, tuan = await auth.login("tuan", PASSWORD)
        assert dict(tuan.grants) == {OFFICE: "staff"}


async def test_the_console_adds_someone_to_several_offices_the_adder_manages(
    server: str, auth: AuthService
) -> None:
    """What `user add --office A --office B` does, in the console: the other offices offered
    are those the adder manages; one they do not manage is refused and nothing is added."""
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE, OFFICE_B])
    await auth.add_user("son", "manager", PASSWORD, offices=[OFFICE])
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        csrf = await log_in(client, "hoa")
        page = await client.get(f"/manage/{OFFICE}/staff")
        assert f'name="offices" value="{OFFICE_B}"' in page.text
        res = await client.post(
            f"/manage/{OFFICE}/staff/add",
            data={"csrf": csrf, "name": "mai", "role": "staff", "password": PASSWORD,
                  "offices": OFFICE_B},
        )  # fmt: skip
        assert res.status_code == 303, res.text
    _, mai = await auth.login("mai", PASSWORD)
    assert dict(mai.grants) == {OFFICE: "staff", OFFICE_B: "staff"}
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        csrf = await log_in(client, "son")
        page = await client.get(f"/manage/{OFFICE}/staff")
        assert 'name="offices"' not in page.text  # son manages no other office
        res = await client.post(
            f"/manage/{OFFICE}/staff/add",
            data={"csrf": csrf, "name": "vu", "role": "staff", "password": PASSWORD,
                  "offices": OFFICE_B},
        )  # fmt: skip
        assert res.status_code == 400
    assert not await auth.user_exists("vu")
