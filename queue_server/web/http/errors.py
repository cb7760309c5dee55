"""Errors to responses, in one table. A message a person can act on, in their language."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from queue_server.errors import BadRequest, SothutuError, Unavailable
from queue_server.services import StoreError
from queue_server.web.http.responses import JSONResponse
from queue_server.web.i18n import error_text, translate

log = logging.getLogger("sothutu")

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}  # texts: error.http.<code>


def language(request: HTTPConnection) -> str:
    """'en' when the reader asks for English, else 'vi'. Pages follow only an explicit choice
    (?lang=, remembered in a cookie): office PCs and kiosks often run an English browser in
    front of Vietnamese citizens. API clients may also ask with Accept-Language."""
    lang = request.query_params.get("lang") or request.cookies.get("lang")
    if lang in ("vi", "en"):
        return lang
    if request.url.path.startswith("/api/"):
        accept = request.headers.get("accept-language", "")
        return "en" if accept.lower().startswith("en") else "vi"
    return "vi"


def error_body(
    code: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


async def sothutu_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SothutuError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(
        error_body(exc.code, error_text(exc, language(request)), exc.details), exc.status,
        headers=headers,
    )  # fmt: skip


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code)
    if code is None:
        return JSONResponse(
            error_body("http_error", str(exc.detail)), exc.status_code, headers=exc.headers
        )
    text = translate(f"error.http.{code}", language(request))
    # The router's 405 carries the `Allow` header (RFC 9110 requires it) in `exc.headers`.
    return JSONResponse(error_body(code, text), exc.status_code, headers=exc.headers)


async def redis_error(request: Request, exc: Exception) -> Response:
    log.error("redis: %s", exc)
    return await sothutu_error(request, Unavailable(text_key="error.unavailable"))


async def json_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, json.JSONDecodeError)
    err = BadRequest(
        f"malformed JSON body: {exc}", text_key="error.body.not_json",
        params={"line": exc.lineno, "column": exc.colno}, code="bad_json",
    )  # fmt: skip
    return await sothutu_error(request, err)


def internal_message(request: HTTPConnection) -> str:
    """What an unexpected error (a bug) tells the reader; the traceback goes to the log."""
    return translate("error.internal", language(request))


async def internal_error(request: Request, exc: Exception) -> Response:
    """An unexpected error (a bug): the API answers in its JSON shape, a page in a line of
    text, both in the reader's language."""
    if request.url.path.startswith("/api/"):
        return JSONResponse(error_body("internal", internal_message(request)), 500)
    return PlainTextResponse(internal_message(request), 500)


class UnexpectedErrors:
    """Answers an unexpected error with `internal_error` and logs its traceback once, under
    the application's logger. Starlette's error middleware would answer the same and then
    raise again for the server to log, a second traceback of the same error. An error
    after the answer began is left to it (the connection can only be dropped). A client
    that left in the middle of its body is one INFO line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except ClientDisconnect:
            # The client left before its request was read in full: nobody to answer, and
            # nothing wrong here (anyone can send half a body; no traceback for it).
            request = Request(scope)
            log.info("client left during its request: %s %s", request.method, request.url.path)
        except Exception as exc:
            if started:
                raise
            request = Request(scope)
            log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
            response = await internal_error(request, exc)
            await response(scope, receive, send)


HANDLERS = {
    SothutuError: sothutu_error,
    HTTPException: http_error,
    StoreError: redis_error,
    json.JSONDecodeError: json_error,
}
