"""`GET /readyz`, the readiness probe (`/healthz`, in app.py, stays the liveness probe).

503 `{"ready": false, "waiting_for": [...]}` while Redis does not answer, the Lua scripts
are not loaded or the offices not read, and from the first signal to stop; 200
`{"ready": true}` otherwise. Each probe asks Redis again within a second: PING, then
SCRIPT EXISTS, loading any script a restarted Redis no longer has."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from queue_server.services import StoreError
from queue_server.web.wiring import Readiness, services

NO_STORE = {"Cache-Control": "no-store"}


async def readyz(request: Request) -> Response:
    state: Readiness | None = getattr(request.app.state, "readiness", None)
    if state is None or state.shutting_down:
        return _waiting(["shutdown"] if state else ["redis", "scripts", "offices"])
    waiting = [] if state.offices else ["offices"]
    if not state.scripts:
        waiting[:0] = ["redis", "scripts"]
    else:
        queue = services(request).queue
        try:
            # Quicker than the client's retries, as /healthz.
            await asyncio.wait_for(queue.ping(), 1.0)
        except (StoreError, TimeoutError):
            waiting.insert(0, "redis")
        else:
            try:
                await asyncio.wait_for(queue.load_scripts(), 1.0)
            except (StoreError, TimeoutError):
                waiting.insert(0, "scripts")
    if waiting:
        return _waiting(waiting)
    return JSONResponse({"ready": True}, headers=NO_STORE)


def _waiting(what: list[str]) -> Response:
    return JSONResponse({"ready": False, "waiting_for": what}, 503, headers=NO_STORE)
