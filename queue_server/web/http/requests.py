"""Reading requests: bounded JSON bodies with typed fields, tokens, idempotency keys."""

from __future__ import annotations

import re
import secrets
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, HTTPConnection, Request

from queue_server.errors import BadRequest, Forbidden, PayloadTooLarge, UnsupportedMediaType
from queue_server.office import Office
from queue_server.people import Principal
from queue_server.services.auth import AuthService
from queue_server.web.wiring import services

IDEMPOTENCY_RE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# application/json, or any type with the +json suffix (RFC 6839), e.g. application/merge-patch+json
JSON_TYPE_RE = re.compile(r"^(application/json|[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+\+json)$")


def header(conn: HTTPConnection, name: bytes) -> str | None:
    """The first value of a request header (`name` in lower case, as ASGI gives them): a
    scan of the scope's list, where `conn.headers` first builds an object around it."""
    for key, value in conn.scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


async def json_body(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object; {} for an empty body. Read from the ASGI channel directly
    (Starlette's stream() is an async generator around the same loop), stopping as soon as
    the limit is passed."""
    _check_media_type(request)
    message = await request.receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnect()
    body: bytes = message.get("body", b"")
    if message.get("more_body", False):  # in pieces: a large body, or a chunked upload
        declared = header(request, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        while message.get("more_body", False) and len(body) <= limit:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            body += message.get("body", b"")
    if len(body) > limit:
        raise _too_large(limit)
    request._body = body  # what Request.body() answers from now on
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:  # also invalid UTF-8, and integers past 64 bits
        raise BadRequest(
            f"malformed JSON body: {exc}", text_key="error.body.not_json",
            params={"line": exc.lineno, "column": exc.colno},
        ) from exc  # fmt: skip
    if not isinstance(data, dict):
        raise BadRequest(text_key="error.body.not_object")
    return data


def _check_media_type(request: Request) -> None:
    """A body must be sent as JSON (a `charset` may say UTF-8, the only one JSON has). A
    form, a text or an upload is refused with 415 rather than read as JSON: a scanner typing
    into a form, or a client that forgot the header, learns it at once."""
    length = header(request, b"content-length")
    if (length is not None and not length.strip("0")) or (
        length is None and header(request, b"transfer-encoding") is None
    ):
        return  # no body, nothing to read as anything
    sent = header(request, b"content-type") or ""
    media_type, *params = (part.strip().lower() for part in sent.split(";"))
    charset = next((p[8:].strip('"') for p in params if p.startswith("charset=")), "utf-8")
    if JSON_TYPE_RE.match(media_type) and charset in ("utf-8", "utf8"):
        return
    shown = sent.strip()[:80] or "none"
    raise UnsupportedMediaType(text_key="error.body.not_json_type", params={"sent": shown})


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(text_key="error.body.too_large", params={"limit": limit})


def opt_str(data: dict[str, Any], name: str, max_len: int = 200) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise BadRequest(text_key="error.value.text", params={"name": name, "max_len": max_len})
    return value


def req_str(data: dict[str, Any], name: str, max_len: int = 200) -> str:
    value = opt_str(data, name, max_len)
    if value is None:
        raise BadRequest(text_key="error.value.missing", params={"name": name})
    return value


def req_query(request: Request, name: str, example: str) -> str:
    """A query parameter that must be given: without it the request is a 400 that names
    it, not a lookup of "" that answers 404."""
    value = request.query_params.get(name, "").strip()
    if not value:
        raise BadRequest(
            text_key="error.query.missing", params={"name": name, "example": example},
            code="missing_parameter",
        )  # fmt: skip
    return value


def whole_number(value: Any) -> int | None:
    """`value` as an int if it is a whole number, else None. JSON has one number type, and
    JSON Schema's "integer" counts 28.0 as one: some clients write every number that way."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def opt_int(data: dict[str, Any], name: str, lo: int = 0, hi: int = 10**9) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    number = whole_number(value)
    if number is None or not lo <= number <= hi:
        raise BadRequest(text_key="error.value.integer", params={"name": name, "lo": lo, "hi": hi})
    return number


def opt_bool(data: dict[str, Any], name: str) -> bool:
    """A flag: absent or null is False."""
    value = data.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRequest(text_key="error.value.boolean", params={"name": name})
    return value


def path_int(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not raw.isdigit() or len(raw) > 6:
        raise BadRequest(text_key="error.path.number", params={"name": name})
    return int(raw)


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key, scoped to its method and path. The store replays
    whatever answer it kept under a key, so a key a client reuses for another operation
    must not find that operation's answer (it did: a counter's state as a called ticket)."""
    key = header(request, b"idempotency-key")
    if key is None:
        return None
    if not IDEMPOTENCY_RE.match(key):
        raise BadRequest(text_key="error.idempotency_key")
    return f"{request.method} {request.url.path} {key}"


def bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return conn.query_params.get("token") or None


async def principal(conn: HTTPConnection) -> Principal | None:
    """Who sent the request: a bearer token, or a page's session cookie. A state-changing
    request authenticated by the cookie must carry the session's CSRF token in the
    `X-CSRF-Token` header, so another site cannot act in the user's name."""
    cached: Principal | None = conn.scope.get("sothutu.principal")
    if cached is not None:
        return cached
    auth: AuthService = services(conn).auth
    token = bearer(conn)
    if token is None and "session" in conn.scope:
        token = conn.session.get("token")
        method = conn.scope.get("method", "GET")
        if token and method not in ("GET", "HEAD", "OPTIONS"):
            expected = conn.session.get("csrf")
            sent = conn.headers.get("x-csrf-token")
            if not expected or not sent or not secrets.compare_digest(expected, sent):
                raise Forbidden(text_key="error.csrf", code="csrf")
    found = await auth.authenticate(token)
    if found is not None:
        conn.scope["sothutu.principal"] = found
    return found


async def body(request: Request) -> dict[str, Any]:
    """The request's JSON object, within the deployment's body limit."""
    return await json_body(request, services(request).config.server.max_body_bytes)


def path_office(conn: HTTPConnection) -> Office:
    """The office the path names (`{office}`); NotFound if there is none."""
    return services(conn).queue.office(conn.path_params["office"])


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
