"""The OpenAPI 3.1 description of /api/v1, kept beside the routes it describes."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}
_TICKET = {"$ref": "#/components/schemas/Ticket"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(
    summary: str,
    ok: dict[str, Any],
    *,
    body: dict[str, Any] | None = None,
    status: str = "200",
    auth: bool = True,
    extra: dict[str, Any] | None = None,
    idempotent: bool = True,
) -> dict[str, Any]:
    responses: dict[str, Any] = {status: ok, "4XX": _json(_ERROR, "Bad input, with a message")}
    if extra:
        responses.update(extra)
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if auth:
        op["security"] = [{"bearer": []}]
    if idempotent:
        op["parameters"] = [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 8, "maxLength": 128},
            }
        ]
    return op


def _path_params(*names: str) -> list[dict[str, Any]]:
    return [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
    ]


def openapi(server_url: str) -> dict[str, Any]:
    o = "/api/v1/offices/{office}"
    t = "/api/v1/tickets/{id}"
    counter_body = {"type": "object", "properties": {"counter": {"type": "integer"}}}
    paths: dict[str, Any] = {
        "/api/v1/auth/token": {
            "post": _op(
                "Log in: user name and password for a bearer token",
                _json({"type": "object", "properties": {"access_token": {"type": "string"}}}),
                body={
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                },
                auth=False,
                idempotent=False,
            )
        },
        o: {
            "parameters": _path_params("office"),
            "get": _op(
                "Fields, procedures, counters and priority classes of an office",
                _json({"type": "object"}),
                auth=False,
                idempotent=False,
            ),
        },
        f"{o}/tickets": {
            "parameters": _path_params("office"),
            "post": _op(
                "Issue a ticket (kiosk or staff token, unless the office opens its kiosk)",
                _json(_TICKET, "Issued"),
                status="201",
                body={
                    "type": "object",
                    "required": ["field"],
                    "properties": {
                        "field": {"type": "string", "example": "HT"},
                        "priority": {"type": "string", "example": "elderly"},
                    },
                },
            ),
        },
        f"{o}/queue": {
            "parameters": _path_params("office"),
            "get": _op(
                "Waiting tickets per lane in calling order; each counter's current ticket",
                _json({"type": "object"}),
                idempotent=False,
            ),
        },
        f"{o}/counters/{{n}}/call-next": {
            "parameters": _path_params("office", "n"),
            "post": _op(
                "Call the next ticket by the calling policy",
                _json(_TICKET),
                extra={"204": {"description": "Nobody is waiting"}},
            ),
        },
        t: {
            "parameters": _path_params("id"),
            "get": _op(
                "A ticket's status, position and estimated wait",
                _json(_TICKET),
                auth=False,
                idempotent=False,
            ),
        },
        f"{t}/call": {
            "parameters": _path_params("id"),
            "post": _op("Call this waiting ticket to a counter", _json(_TICKET), body=counter_body),
        },
        f"{t}/transfer": {
            "parameters": _path_params("id"),
            "post": _op(
                "Send a waiting or called ticket to another field or counter",
                _json(_TICKET),
                body={
                    "type": "object",
                    "properties": {"field": {"type": "string"}, "counter": {"type": "integer"}},
                },
            ),
        },
        f"{t}/cancel": {
            "parameters": _path_params("id"),
            "post": _op("Cancel a waiting ticket (its holder may)", _json(_TICKET), auth=False),
        },
        "/healthz": {
            "get": {
                "summary": "Liveness and Redis reachability",
                "responses": {
                    "200": {"description": "OK"},
                    "503": {"description": "Redis unreachable"},
                },
            }
        },
    }
    for action in ("open", "pause", "close"):
        paths[f"{o}/counters/{{n}}/{action}"] = {
            "parameters": _path_params("office", "n"),
            "post": _op(f"{action.capitalize()} a counter", _json({"type": "object"})),
        }
    for action, summary in (
        ("recall", "Call again"),
        ("start", "Start serving"),
        ("finish", "Finish"),
        ("no-show", "Mark as not present"),
    ):
        paths[f"{t}/{action}"] = {
            "parameters": _path_params("id"),
            "post": _op(
                f"{summary} (a called or serving ticket)", _json(_TICKET), body=counter_body
            ),
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sothutu",
            "version": "1",
            "description": "Queue tickets, counters and calls. Realtime events: WebSocket "
            "/ws/offices/{office}?since=<event id>.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
                "Ticket": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "number": {"type": "string", "example": "A012"},
                        "field": {"type": "string"},
                        "priority": {"type": ["string", "null"]},
                        "class": {"enum": ["appointment", "priority", "normal"]},
                        "status": {
                            "enum": ["waiting", "called", "serving", "done", "no_show", "cancelled"]
                        },
                        "counter": {"type": ["integer", "null"]},
                        "position": {"type": ["integer", "null"]},
                        "estimated_wait_s": {"type": ["integer", "null"]},
                        "issued_at": {"type": "integer", "description": "epoch milliseconds"},
                    },
                },
            },
        },
    }
