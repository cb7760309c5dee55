from __future__ import annotations

import pytest

from queue_server.network import is_loopback, lan_address, listening_url


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("kiosk.localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("192.168.1.10", False),
        ("10.0.0.5", False),
        ("0.0.0.0", False),
        ("sothutu.phuong.lan", False),
        ("fe80::1", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("192.168.1.10", 8100, "http://192.168.1.10:8100"),
        ("fd00::10", 8000, "http://[fd00::10]:8000"),
    ],
)
def test_listening_url_of_one_address(host: str, port: int, url: str) -> None:
    assert listening_url(host, port) == url


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_listening_url_on_every_interface_is_the_lan_address(host: str) -> None:
    lan = lan_address()
    assert lan is None or not is_loopback(lan)
    assert listening_url(host, 8100) == f"http://{lan or '127.0.0.1'}:8100"
