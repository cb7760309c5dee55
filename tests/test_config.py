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
