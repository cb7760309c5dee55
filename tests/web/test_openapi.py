"""The OpenAPI document: valid OpenAPI 3.1, and exactly the app's /api/v1 routes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
from openapi_spec_validator import validate
from starlette.routing import BaseRoute, Mount, Route

from queue_server.config import Config
from queue_server.web.api.openapi import openapi
from queue_server.web.app import create_app

METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


def api_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every HTTP route under /api/v1, mounts included; `{n:int}` is
    written `{n}` as in OpenAPI, and HEAD (which Starlette adds to GET) is left out."""
    for route in routes:
        if isinstance(route, Mount):
            yield from api_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route) and (prefix + route.path).startswith("/api/v1/"):
            path = re.sub(r"{(\w+):\w+}", r"{\1}", prefix + route.path)
            assert route.methods, f"{path}: a route without methods cannot be described"
            yield from ((m.lower(), path) for m in route.methods if m != "HEAD")


def documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m, path) for path, item in spec["paths"].items() for m in item if m in METHODS}


def test_the_document_is_valid_openapi() -> None:
    validate(openapi("http://127.0.0.1:8000"))


def test_every_api_route_is_documented_and_nothing_else(config: Config) -> None:
    served = set(api_routes(create_app(config).routes))
    spec = documented(openapi("http://127.0.0.1:8000"))
    assert not served - spec, f"routes missing from queue_server/web/openapi.py: {served - spec}"
    assert not spec - served, f"documented but not served: {spec - served}"
    # The walk sees the routes of every module, not only api.py's.
    assert ("delete", "/api/v1/offices/{office}/printers/{name}/jobs/{job}") in served
    assert ("get", "/api/v1/offices/{office}/counters/{n}/today") in served


def test_route_walk_sees_mounts_and_converters() -> None:
    async def endpoint(request: Any) -> Any: ...

    routes = [
        Route("/api/v1/a/{n:int}", endpoint),
        Mount("/api/v1/m", routes=[Route("/b", endpoint, methods=["POST", "DELETE"])]),
        Route("/board/{office}", endpoint),
    ]
    assert sorted(api_routes(routes)) == [
        ("delete", "/api/v1/m/b"),
        ("get", "/api/v1/a/{n}"),
        ("post", "/api/v1/m/b"),
    ]


def test_errors_and_security_are_described() -> None:
    spec = openapi("http://127.0.0.1:8000")
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    for path, item in spec["paths"].items():
        for method in set(item) & set(METHODS):
            op = item[method]
            fails = [s for s in op["responses"] if s.startswith("4")]
            if "{" in path or "requestBody" in op:
                assert "400" in fails or "404" in fails, f"{method} {path}: no 4xx answer"
            if op.get("security"):
                assert {"401", "403"} <= set(fails) and op["description"].startswith("Who: ")
    issue = spec["paths"]["/api/v1/offices/{office}/tickets"]["post"]
    body = issue["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["field"] and body["properties"]["field"]["maxLength"] == 8
    assert issue["security"] == [{"bearer": []}, {}]  # a kiosk token, or none if open_kiosk
    reports = spec["paths"]["/api/v1/offices/{office}/reports"]["get"]
    assert reports["security"] == [{"bearer": []}] and "manager" in reports["description"]


async def test_the_server_serves_the_document(http: httpx.AsyncClient, config: Config) -> None:
    served = (await http.get("/api/v1/openapi.json")).json()
    assert served == openapi(str(http.base_url).rstrip("/"))
