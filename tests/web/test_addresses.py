"""Links without server.public_url: each answer carries the address its request came in on
(the Host header, and the scheme a reverse proxy on this machine says)."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from queue_server import config as config_mod
from tests.conftest import start_server

LAN = "192.168.1.20:8100"


async def test_openapi_servers_entry_follows_the_request(http: httpx.AsyncClient) -> None:
    async def servers(**headers: str) -> Any:
        return (await http.get("/api/v1/openapi.json", headers=headers)).json()["servers"]

    assert await servers(host=LAN) == [{"url": f"http://{LAN}"}]
    assert await servers(host="so.phuong.lan", **{"x-forwarded-proto": "https"}) == [
        {"url": "https://so.phuong.lan"}
    ]
    # A Host that is not a plain host[:port] does not go into links.
    assert await servers(host="evil.example/x?") == [{"url": str(http.base_url).rstrip("/")}]


async def test_session_cookie_is_secure_over_https_only(http: httpx.AsyncClient) -> None:
    plain = await http.get("/login")
    http.cookies.clear()
    proxied = await http.get("/login", headers={"x-forwarded-proto": "https"})
    [plain_cookie] = plain.headers.get_list("set-cookie")
    [https_cookie] = proxied.headers.get_list("set-cookie")
    assert "secure" not in plain_cookie.lower()
    assert https_cookie.lower().endswith("; secure")


async def test_a_set_public_url_wins_over_the_request(r: Any, config: config_mod.Config) -> None:
    server = dataclasses.replace(config.server, public_url="https://so.tinh.gov.vn")
    thread = start_server(dataclasses.replace(config, server=server))
    url = thread.start()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            spec = (await http.get("/api/v1/openapi.json", headers={"host": LAN})).json()
            plain = await http.get("/login")  # over http, but the offices use https
    finally:
        thread.stop()
    assert spec["servers"] == [{"url": "https://so.tinh.gov.vn"}]
    assert plain.headers["set-cookie"].lower().endswith("; secure")
