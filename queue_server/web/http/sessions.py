"""Sessions for the pages: the signing key, and a middleware that leaves bare API clients
alone."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "sothutu_session"


def session_key(data_dir: Path) -> str:
    """The key that signs session cookies: made once and kept in the data folder."""
    path = data_dir / "session.key"
    if path.exists():
        return path.read_text("ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created readable by the owner only; a race between two processes keeps the first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text("ascii").strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


class ApiAwareSessions(SessionMiddleware):
    """Sessions for pages, and for API calls that carry the session cookie (page scripts).
    A bare API client (kiosk, board, agent, script) sends no cookie and skips the signing
    work, which would otherwise be a noticeable part of the cost of issuing a ticket
    (docs/BENCHMARKS.md, session 2).

    `https_only=None`: the cookie is marked Secure when the request came over https (no
    `server.public_url` to say which scheme the offices use)."""

    def __init__(self, app: ASGIApp, /, *, https_only: bool | None, **options: Any) -> None:
        super().__init__(app, https_only=bool(https_only), **options)
        self.follow_scheme = https_only is None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"].startswith("/api/"):
            cookie = next((v for k, v in scope["headers"] if k == b"cookie"), b"")
            if self.session_cookie.encode() not in cookie:
                await self.app(scope, receive, send)
                return
        if self.follow_scheme and scope.get("scheme") in ("https", "wss"):
            send = _secure_cookies(send)
        await super().__call__(scope, receive, send)


def _secure_cookies(send: Send) -> Send:
    async def secure(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [
                (k, v + b"; secure" if k == b"set-cookie" and b"; secure" not in v else v)
                for k, v in message.get("headers", [])
            ]
        await send(message)

    return secure
