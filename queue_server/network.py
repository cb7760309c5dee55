"""Which address devices on the office network use to reach this server.

Phones open the ticket QR code, so it must carry an address they can reach: never the
loopback address, which on a phone is the phone itself. `server.public_url` fixes that
address when it is set; otherwise a request's own address is used (what the kiosk or the
counter PC typed), and outside a request, or when a request came in on loopback (a kiosk
browser on the server's own machine), the address the server listens on: the machine's
LAN address when it listens on every interface.
"""

from __future__ import annotations

import functools
import ipaddress
import socket

ALL_INTERFACES = ("0.0.0.0", "::", "")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@functools.cache
def lan_address() -> str | None:
    """This machine's address on its local network, or None without one.

    A UDP socket's `connect` sends nothing: it only asks the kernel's routing table which
    local address would be used towards a private address, which is the address of the
    interface facing the office network (or the one with the default route).
    """
    for probe in ("10.255.255.254", "192.168.255.254", "172.31.255.254"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                host: str = s.getsockname()[0]
        except OSError:  # no route to it: no network, or not this one
            continue
        if host and not is_loopback(host) and host != "0.0.0.0":
            return host
    return None


def url_host(host: str) -> str:
    """A host as it goes into a URL (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def listening_url(host: str, port: int) -> str:
    """The base URL of a server listening on `host:port`, as other devices reach it."""
    if host in ALL_INTERFACES:
        host = lan_address() or "127.0.0.1"
    return f"http://{url_host(host)}:{port}"
