"""Tokens for API clients: a user's name and password for a bearer token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.services.auth import AuthService
from queue_server.web.http.requests import (
    body,
    req_str,
)
from queue_server.web.http.responses import JSONResponse
from queue_server.web.wiring import services


async def token(request: Request) -> Response:
    data = await body(request)
    auth: AuthService = services(request).auth
    access, who = await auth.login(req_str(data, "username", 64), req_str(data, "password", 200))
    return JSONResponse(
        {"access_token": access, "token_type": "bearer", "role": who.role,
         "offices": dict(who.grants), "username": who.name}
    )  # fmt: skip


def routes() -> list[BaseRoute]:
    return [Route("/api/v1/auth/token", token, methods=["POST"])]
