"""How sothutu runs under uvicorn, in one place for the command line, tests and benchmarks."""

from __future__ import annotations

import uvicorn
from starlette.types import ASGIApp


def uvicorn_config(
    app: ASGIApp, host: str, port: int, log_level: str = "info", access_log: bool = True
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        # The sans-I/O websockets protocol: no deprecated legacy API, less memory per socket.
        ws="websockets-sansio",
        # No permessage-deflate: its zlib state is ~46 KB per socket (of ~85 KB for an idle
        # board), and boards get small events on a local network (docs/BENCHMARKS.md).
        ws_per_message_deflate=False,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
