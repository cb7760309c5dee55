"""Errors to responses, in one table. A message a person can act on, in their language."""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.exceptions import RedisError
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from queue_server.errors import SothutuError, Unavailable
from queue_server.web.responses import JSONResponse

log = logging.getLogger("sothutu")

_HTTP_TEXT = {
    404: ("not_found", "no such address", "Không có địa chỉ này."),
    405: ("method_not_allowed", "this method is not allowed here", "Phương thức không hợp lệ."),
}


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
        error_body(exc.code, exc.text(language(request)), exc.details), exc.status,
        headers=headers,
    )  # fmt: skip


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, en, vi = _HTTP_TEXT.get(exc.status_code, ("http_error", str(exc.detail), str(exc.detail)))
    # The router's 405 carries the `Allow` header (RFC 9110 requires it) in `exc.headers`.
    return JSONResponse(
        error_body(code, vi if language(request) == "vi" else en), exc.status_code,
        headers=exc.headers,
    )  # fmt: skip


async def redis_error(request: Request, exc: Exception) -> Response:
    log.error("redis: %s", exc)
    err = Unavailable("the data store cannot be reached; try again in a moment",
                      vi="Không kết nối được cơ sở dữ liệu, xin thử lại sau giây lát.")  # fmt: skip
    return await sothutu_error(request, err)


async def json_error(request: Request, exc: Exception) -> Response:
    err = SothutuError("malformed JSON body", vi="Dữ liệu gửi lên không phải JSON hợp lệ.")
    err.status, err.code = 400, "bad_json"
    return await sothutu_error(request, err)


def internal_message(request: HTTPConnection) -> str:
    """What an unexpected error (a bug) tells the reader; the traceback goes to the log."""
    if language(request) == "vi":
        return "Lỗi máy chủ. Lỗi đã được ghi lại; xin thử lại sau."
    return "internal server error; the error was logged"


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
    after the answer began is left to it (the connection can only be dropped)."""

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
    RedisError: redis_error,
    json.JSONDecodeError: json_error,
}
