from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from queue_server import config as config_mod
from queue_server.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def demo() -> dict[str, Any]:
    return tomllib.loads((ROOT / "config.toml").read_text("utf-8"))


def test_demo_config_is_a_realistic_ward() -> None:
    cfg = config_mod.load(ROOT / "config.toml")
    office = cfg.offices[0]
    names = {f.name_vi for f in office.fields}
    assert {
        "Hộ tịch",
        "Chứng thực",
        "Đất đai",
        "Lao động – Thương binh – Xã hội",
        "Tư pháp",
    } <= names
    assert len(office.counters) >= 5
    assert office.field("HT") is not None and office.field("HT").format_number(12) == "A012"  # type: ignore[union-attr]
    assert cfg.redis.url is None  # the embedded Redis by default


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    node: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "key", "reason"),
    [
        ("offices.0.slug", "Phường Ba Đình", "offices[0].slug", "lower-case"),
        ("offices.0.fields.0.prefix", "ab", "offices[0].fields[0].prefix", "one capital letter"),
        ("offices.0.fields.1.prefix", "A", "offices[0].fields[1].prefix", "used twice"),
        ("offices.0.fields.0.name_vi", _DELETE, "offices[0].fields[0].name_vi", "is missing"),
        (
            "offices.0.fields.0.service_minutes",
            "12",
            "offices[0].fields[0].service_minutes",
            "a number",
        ),
        ("offices.0.fields.0.last_number", 0, "offices[0].fields[0].last_number", "at least 1"),
        (
            "offices.0.counters.0.fields",
            ["HT", "ZZ"],
            "offices[0].counters[0].fields[1]",
            "unknown field",
        ),
        ("offices.0.counters.1.number", 1, "offices[0].counters[1].number", "used twice"),
        ("offices.0.timezone", "Asia/Hanoi_City", "offices[0].timezone", "unknown time zone"),
        ("offices.0.announce", "loud", "offices[0].announce", "'digits' or 'number'"),
        ("offices.0.interleave", True, "offices[0].interleave", "not true/false"),
        ("redis.appendfsync", "sometimes", "redis.appendfsync", "'always'"),
        ("server.port", 70000, "server.port", "at most 65535"),
        ("server.public_url", "192.168.1.10:8000", "server.public_url", "http:// or https://"),
        ("server.public_url", "ftp://10.0.0.1", "server.public_url", "http:// or https://"),
        ("server.public_url", "http://10.0.0.1:80000", "server.public_url", "not a URL"),
        ("server.public_url", "http://10.0.0.1/?a=1", "server.public_url", "?query"),
        ("server.public_url", 8000, "server.public_url", "a string"),
        ("server.body_timeout_s", 0, "server.body_timeout_s", "greater than 0"),
        ("server.body_timeout_s", "10", "server.body_timeout_s", "a number"),
        ("server.max_header_line_bytes", 100, "server.max_header_line_bytes", "at least 1024"),
        ("server.max_headers", 5, "server.max_headers", "at least 20"),
        ("server.max_head_bytes", 2.5, "server.max_head_bytes", "an integer"),
        ("server.max_head_bytes", 6000, "server.max_head_bytes", "at least max_header_line"),
        ("server.log_format", "xml", "server.log_format", '"text" or "json"'),
        ("offices", [], "offices", "at least one office"),
    ],
)
def test_bad_values_name_file_key_and_reason(
    tmp_path: Path, path: str, value: Any, key: str, reason: str
) -> None:
    data = demo()
    _set(data, path, value)
    file = tmp_path / "office.toml"
    file.write_text(tomli_w.dumps(data), "utf-8")
    with pytest.raises(ConfigError) as info:
        config_mod.load(file)
    err = info.value
    assert (err.file, err.key) == (str(file), key)
    assert reason in err.reason
    assert str(file) in str(err) and key in str(err)


def test_unreadable_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        config_mod.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[server\nport = 1", "utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config_mod.load(bad)


def test_redis_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://10.0.0.5:6379/2")
    assert config_mod.load(ROOT / "config.toml").redis.url == "redis://10.0.0.5:6379/2"


def test_cli_refuses_to_start_on_bad_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from queue_server.__main__ import main

    data = demo()
    data["offices"][0]["counters"][0]["fields"] = ["HT", "ZZ"]
    file = tmp_path / "c.toml"
    file.write_text(tomli_w.dumps(data), "utf-8")
    assert main(["--config", str(file), "serve"]) == 2
    err = capsys.readouterr().err
    assert "offices[0].counters[0].fields[1]" in err and "unknown field 'ZZ'" in err


def _server(tmp_path: Path, **server: Any) -> config_mod.ServerConfig:
    data = demo()
    data["server"].update(server)
    file = tmp_path / "office.toml"
    file.write_text(tomli_w.dumps(data), "utf-8")
    return config_mod.load(file).server


@pytest.mark.parametrize(
    ("public_url", "kept"),
    [
        (None, None),  # left out: links follow each request (web/addresses.py)
        ("", None),
        ("https://sothutu.phuongbadinh.gov.vn/", "https://sothutu.phuongbadinh.gov.vn"),
        ("http://192.168.1.10:8000", "http://192.168.1.10:8000"),
        ("https://so.tinh.gov.vn/ba-dinh/", "https://so.tinh.gov.vn/ba-dinh"),
    ],
)
def test_public_url_is_optional(tmp_path: Path, public_url: str | None, kept: str | None) -> None:
    server = _server(tmp_path, **({} if public_url is None else {"public_url": public_url}))
    assert server.public_url == kept
    assert server.base_url() == (kept or "http://127.0.0.1:8000")  # config.toml listens there


def test_demo_config_has_no_loopback_public_url() -> None:
    assert config_mod.load(ROOT / "config.toml").server.public_url is None


def test_base_url_outside_a_request_is_the_listening_address(tmp_path: Path) -> None:
    from queue_server.network import lan_address

    assert _server(tmp_path, host="127.0.0.1", port=8100).base_url() == "http://127.0.0.1:8100"
    assert _server(tmp_path, host="192.168.1.10", port=80).base_url() == "http://192.168.1.10:80"
    assert _server(tmp_path, host="0.0.0.0", port=8100).base_url() == (
        f"http://{lan_address() or '127.0.0.1'}:8100"
    )


@pytest.mark.parametrize(
    ("host", "public_url", "warned"),
    [
        ("0.0.0.0", "http://127.0.0.1:8000", True),
        ("0.0.0.0", "http://localhost:8000", True),
        ("::", "http://[::1]:8000", True),
        ("192.168.1.10", "http://127.0.0.1:8000", True),
        ("127.0.0.1", "http://127.0.0.1:8000", False),  # this machine only: loopback is right
        ("0.0.0.0", "http://192.168.1.10:8000", False),
        ("0.0.0.0", None, False),
    ],
)
def test_loopback_public_url_on_the_network_is_warned(
    tmp_path: Path, host: str, public_url: str | None, warned: bool
) -> None:
    extra = {"public_url": public_url} if public_url else {}
    warning = _server(tmp_path, host=host, **extra).address_warning("office.toml")
    assert (warning is not None) == warned
    if warning:
        assert "server.public_url" in warning and "office.toml" in warning


def test_request_limits_default_to_nginx_and_apache_and_can_be_set(tmp_path: Path) -> None:
    assert config_mod.load(ROOT / "config.toml").server.body_timeout_s == 10.0
    assert config_mod.load(ROOT / "config.toml").server.head_limits == config_mod.HeadLimits(
        line_bytes=8192, count=100, total_bytes=32768
    )
    data = demo()
    data["server"].update(
        body_timeout_s=2.5, max_header_line_bytes=4096, max_headers=50, max_head_bytes=65536
    )
    file = tmp_path / "office.toml"
    file.write_text(tomli_w.dumps(data), "utf-8")
    server = config_mod.load(file).server
    assert server.body_timeout_s == 2.5
    assert server.head_limits == config_mod.HeadLimits(4096, 50, 65536)
