"""The application's entry point, with a short way in for JSON API calls.

A request through Starlette's stack passes the error middleware, the session middleware,
the exception middleware and a router that tries every route's pattern in turn (about a
hundred, pages included) before its endpoint runs; with the extra `send` wrappers each
layer adds, that was ~35 µs of the ~100 µs a no-op request cost this process, and more for
a ticket (docs/BENCHMARKS.md). A kiosk, a board, a print agent or a script calling
`/api/v1` needs none of it but the routing and the error table: such a call (no session
cookie) finds its route in a table indexed by the path's shape and runs the endpoint
directly, errors answered by the same handlers (`web.errors.HANDLERS`).

Everything else takes the full stack, unchanged: pages, WebSockets, static files, API
calls that carry the session cookie (page scripts, whose principal is in the session), and
any API path the table does not match (404, 405 and redirects are Starlette's).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from queue_server.web.errors import error_body, internal_message
from queue_server.web.responses import JSONResponse

log = logging.getLogger("sothutu")

API_PREFIX = "/api/v1/"
Endpoint = Callable[[Request], Awaitable[Response]]
ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def _shape(path: str) -> tuple[int, str]:
    """What indexes a route: its number of segments and its last segment."""
    parts = path.split("/")
    return len(parts), parts[-1]


class ApiTable:
    """The `/api/v1` routes with an async function endpoint (none has middleware of its
    own), indexed by the path's shape:
    routes ending in a fixed word under (segments, word), those ending in a parameter
    under (segments, ""). A path is tried against the few routes of its shape only."""

    def __init__(self, routes: list[Any]) -> None:
        self._index: dict[tuple[int, str], list[Route]] = {}
        for route in routes:
            if not (isinstance(route, Route) and route.path.startswith(API_PREFIX)):
                continue
            if not inspect.iscoroutinefunction(route.endpoint):
                continue  # an ASGI or a synchronous endpoint: the full stack
            count, last = _shape(route.path)
            key = (count, "" if "{" in last else last)
            self._index.setdefault(key, []).append(route)

    def match(self, scope: Scope) -> tuple[Endpoint, dict[str, Any]] | None:
        """What `Route.matches` finds as a full match (path and method), without the
        scope copies it makes for every route it is asked about."""
        path, method = scope["path"], scope["method"]
        count, last = _shape(path)
        for key in ((count, last), (count, "")):
            for route in self._index.get(key, ()):
                found = route.path_regex.match(path)
                if found is None or (route.methods and method not in route.methods):
                    continue
                params = found.groupdict()
                for name, value in params.items():
                    params[name] = route.param_convertors[name].convert(value)
                return route.endpoint, params
        return None


class AppState(State):
    """Starlette's `State`, its attributes also kept as plain instance attributes. `State`
    answers every read through `__getattr__`, after Python has built and dropped an
    AttributeError: three per ticket, for the services a handler looks up."""

    def __setattr__(self, key: Any, value: Any) -> None:
        super().__setattr__(key, value)
        object.__setattr__(self, key, value)

    def __delattr__(self, key: Any) -> None:
        super().__delattr__(key)
        object.__delattr__(self, key)


class SothutuApp(Starlette):
    """Starlette, with cookie-less `/api/v1` calls taken the short way (see the module)."""

    def __init__(
        self, *, session_cookie: str, exception_handlers: Mapping[Any, ErrorHandler], **kw: Any
    ) -> None:
        super().__init__(exception_handlers=dict(exception_handlers), **kw)
        self.state = AppState()
        self._cookie = session_cookie.encode()
        # Exception itself (Starlette's error middleware's handler) is the fallback below.
        self._errors = [(c, h) for c, h in exception_handlers.items() if c is not Exception]
        self._api: ApiTable | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            for name, value in scope["headers"]:
                if name == b"cookie" and self._cookie in value:
                    break
            else:
                if self._api is None:
                    self._api = ApiTable(self.routes)
                found = self._api.match(scope)
                if found is not None:
                    await self._direct(scope, receive, send, *found)
                    return
        await super().__call__(scope, receive, send)

    async def _direct(
        self, scope: Scope, receive: Receive, send: Send, endpoint: Endpoint, params: Any
    ) -> None:
        scope["app"] = self
        scope["router"] = self.router
        scope["endpoint"] = endpoint
        scope["path_params"] = params
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except Exception as exc:
            response = await self._error(request, exc)
        await response(scope, receive, send)

    async def _error(self, request: Request, exc: Exception) -> Response:
        for cls in type(exc).__mro__:
            for known, handler in self._errors:
                if cls is known:
                    return await handler(request, exc)
        # What Starlette's error middleware does with an unexpected error, in JSON.
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(error_body("internal", internal_message(request)), 500)
