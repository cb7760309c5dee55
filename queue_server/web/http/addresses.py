"""The address links and QR codes carry, for a page or API answer (see network.py)."""

from __future__ import annotations

import re

from starlette.requests import HTTPConnection

from queue_server.config import ServerConfig
from queue_server.network import is_loopback, listening_url
from queue_server.web.wiring import services

# A Host header is the client's to write: only a plain host[:port] goes into a QR code.
_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")


def public_base(conn: HTTPConnection) -> str:
    """`server.public_url` if set; else the scheme and Host the request came in on, unless
    that is loopback while the server listens on the network (a kiosk browser on the
    server's own machine): then this machine's LAN address, on the port the request used."""
    server: ServerConfig = services(conn).config.server
    if server.public_url:
        return server.public_url
    host = conn.headers.get("host", "")
    if _HOST.fullmatch(host) and not (
        is_loopback(conn.url.hostname) and not is_loopback(server.host)
    ):
        scheme = "https" if conn.url.scheme in ("https", "wss") else "http"
        return f"{scheme}://{host}"
    local = conn.scope.get("server")
    return listening_url(server.host, local[1] if local and local[1] else server.port)
