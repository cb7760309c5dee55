"""A request's body must arrive in full within `server.body_timeout_s` of its head."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from queue_server.errors import RequestTimeout


def _announces_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return bool(value != b"0")
        if name == b"transfer-encoding":
            return True
    return False


class BodyDeadline:
    """Bounds the reading of a request's body, for every route that reads one (JSON, forms).

    A client that announces more than it sends would otherwise hold its request, a task and
    its buffer open for as long as it keeps the connection. Past the deadline the read
    raises `RequestTimeout`, which the error table answers 408, with `Connection: close`:
    the rest of that body must not be read as the next request. Once the body is complete
    the reads pass through untimed (a streaming answer may wait on the disconnect)."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _announces_body(scope):
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        complete = timed_out = False

        async def receiving() -> Message:
            nonlocal complete, timed_out
            if complete:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                raise RequestTimeout(
                    text_key="error.body.timeout", params={"seconds": f"{self.timeout_s:g}"}
                ) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def sending(message: Message) -> None:
            if timed_out and message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"connection", b"close")]
            await send(message)

        await self.app(scope, receiving, sending)
