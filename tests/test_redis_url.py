"""Which Redis the operator points sothutu at: redis.url or REDIS_URL, a cluster by its
scheme, and the reason given for a URL that cannot work."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
from redis.asyncio.cluster import RedisCluster

from queue_server import config as config_mod
from queue_server.config import ClusterSeeds, check_redis_url, cluster_seeds
from queue_server.errors import ConfigError
from queue_server.store.connection import connect
from tests.conftest import ROOT


def demo_with_url(url: str) -> dict[str, Any]:
    data = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    data["redis"]["url"] = url
    return data


@pytest.mark.parametrize(
    ("url", "seeds"),
    [
        ("redis+cluster://10.0.0.1:7000", ClusterSeeds((("10.0.0.1", 7000),), None, None, False)),
        (
            "redis+cluster://10.0.0.1:7000,10.0.0.2,[fd00::3]:7002/",
            ClusterSeeds(
                (("10.0.0.1", 7000), ("10.0.0.2", 6379), ("fd00::3", 7002)), None, None, False
            ),
        ),
        (
            "rediss+cluster://sothutu:m%40t-kh%E1%BA%A9u@redis.tinh.local:6380/0",
            ClusterSeeds((("redis.tinh.local", 6380),), "sothutu", "m@t-khẩu", True),
        ),
        ("redis+cluster://:secret@h", ClusterSeeds((("h", 6379),), None, "secret", False)),
    ],
)
def test_cluster_seeds(url: str, seeds: ClusterSeeds) -> None:
    check_redis_url(url)
    assert cluster_seeds(url) == seeds


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("redis+cluster://h:7000/2", "a cluster has only database 0, not /2"),
        ("redis+cluster://", "needs host[:port] of at least one node"),
        ("redis+cluster://h:7000,", "needs host[:port] of at least one node"),
        ("redis+cluster://h:port", "port of 'h:port' must be a number"),
        ("redis+cluster://h:70000", "must be between 1 and 65535"),
        ("redis+cluster://h:7000?timeout=1", "takes no ?options"),
        ("http://127.0.0.1:6379", "must start with redis://, rediss://, unix:// or"),
        ("redis-cluster://h:7000", "must start with redis://"),
        ("redis://", "needs a host"),
        ("redis://127.0.0.1:6379/sothutu", "must be a number, not /sothutu"),
        ("redis://127.0.0.1:99999/0", "bad port"),
        ("unix://", "needs the socket's path"),
        ("redis://127.0.0.1:6379/0?protocol=3", "protocol=3 is not supported"),
        ("unix:///run/redis.sock?protocol=3", "protocol=3 is not supported"),
    ],
)
def test_a_url_that_cannot_work_names_the_reason(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        check_redis_url(url)


def test_the_config_names_the_key_of_a_bad_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(ConfigError) as info:
        config_mod.parse(demo_with_url("redis+cluster://h:7000/1"), ROOT / "config.toml")
    assert (info.value.file, info.value.key) == (str(ROOT / "config.toml"), "redis.url")
    assert info.value.reason == "a cluster has only database 0, not /1"


def test_redis_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    data = demo_with_url("redis://127.0.0.1:6379/0")
    monkeypatch.setenv("REDIS_URL", "redis+cluster://10.0.0.1:7000,10.0.0.2:7000")
    cfg = config_mod.parse(data, ROOT / "config.toml")
    assert cfg.redis.cluster and cfg.redis.url == "redis+cluster://10.0.0.1:7000,10.0.0.2:7000"
    monkeypatch.setenv("REDIS_URL", "redis+cluster://10.0.0.1:7000/3")
    with pytest.raises(ConfigError) as info:
        config_mod.parse(data, ROOT / "config.toml")
    assert str(info.value) == "environment: REDIS_URL: a cluster has only database 0, not /3"
    monkeypatch.delenv("REDIS_URL")
    assert not config_mod.parse(data, ROOT / "config.toml").redis.cluster


async def test_a_cluster_url_gets_a_cluster_client() -> None:
    client = connect("redis+cluster://127.0.0.1:7000,127.0.0.1:7001")
    try:
        assert isinstance(client, RedisCluster)  # no connection is made before first use
        assert [n.name for n in client.get_nodes()] == []
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0?protocol=2", "unix:///r.sock"]
)
def test_urls_that_work(url: str) -> None:
    check_redis_url(url)
