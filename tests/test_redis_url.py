"""Which Redis the operator points sothutu at: redis.url or REDIS_URL, a cluster by its
scheme, and the reason given for a URL that cannot work."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
from redis.asyncio.cluster import RedisCluster

from queue_server import config as config_mod
from queue_server.config import (
    ClusterSeeds,
    SentinelTarget,
    check_redis_url,
    cluster_seeds,
    sentinel_target,
)
from queue_server.errors import ConfigError
from queue_server.store.connection import connect
from queue_server.store.sentinel import SentinelRedis
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
        ("http://127.0.0.1:6379", "must start with redis://, rediss://, unix://, redis+cluster"),
        ("redis+sentinel://s1:26379", "names the master after the sentinels"),
        ("redis+sentinel://s1:26379/", "names the master after the sentinels"),
        ("redis+sentinel:///sothutu", "needs host[:port] of at least one sentinel"),
        ("redis+sentinel://s1:x/sothutu", "port of 's1:x' must be a number"),
        ("redis+sentinel://s1/sothutu/one", "must be a number, not /one"),
        (
            "redis+sentinel://s1/sothutu?password=x",
            "takes only ?sentinel_username=, ?sentinel_password=, ?ssl_ca_certs=, not ?password",
        ),
        ("redis+sentinel://s1/sothutu?ssl_ca_certs=/ca.pem", "ssl_ca_certs needs rediss+"),
        ("redis+sentinel://s1/sothutu#x", "takes no #fragment"),
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


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (
            "redis+sentinel://10.0.0.1,10.0.0.2:26380,[fd00::3]/sothutu",
            SentinelTarget(
                (("10.0.0.1", 26379), ("10.0.0.2", 26380), ("fd00::3", 26379)),
                "sothutu", 0, None, None, None, None, False,
            ),
        ),
        (
            # The URL's credentials are the data nodes' (an ACL user); the sentinels' own
            # are options, percent-encoded like the password.
            "rediss+sentinel://sothutu:m%40t@s1:26380/ha-noi/2"
            "?sentinel_username=sentinel&sentinel_password=b%C3%AD%26m%E1%BA%ADt"
            "&ssl_ca_certs=/etc/ssl/tinh-ca.pem",
            SentinelTarget(
                (("s1", 26380),), "ha-noi", 2, "sothutu", "m@t", "sentinel", "bí&mật", True,
                "/etc/ssl/tinh-ca.pem",
            ),
        ),
        (
            "redis+sentinel://:secret@s1/sothutu/",
            SentinelTarget((("s1", 26379),), "sothutu", 0, None, "secret", None, None, False),
        ),
    ],
)  # fmt: skip
def test_sentinel_targets(url: str, target: SentinelTarget) -> None:
    check_redis_url(url)
    assert sentinel_target(url) == target


async def test_a_sentinel_url_gets_the_masters_client() -> None:
    url = "rediss+sentinel://u:p@127.0.0.1:26379,127.0.0.1:26380/sothutu/3?sentinel_password=s"
    client = connect(url)
    try:
        assert isinstance(client, SentinelRedis)  # no connection is made before first use
        pool: Any = client.connection_pool
        kwargs = pool.connection_kwargs
        assert (pool.service_name, pool.is_master) == ("sothutu", True)
        assert (kwargs["db"], kwargs["username"], kwargs["password"]) == (3, "u", "p")
        assert pool.connection_class.__name__ == "SentinelManagedSSLConnection"
        assert client.sentinels is not None
        asked = [s.connection_pool for s in client.sentinels.sentinels]
        assert [
            (p.connection_kwargs["port"], p.connection_kwargs["password"],
             p.connection_class.__name__)
            for p in asked
        ] == [(26379, "s", "SSLConnection"), (26380, "s", "SSLConnection")]  # fmt: skip
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("redis", "reason"),
    [
        ({"replicas_ack": 1}, "needs a redis.url: the embedded Redis has no replicas"),
        (
            {"replicas_ack": 1, "url": "redis+cluster://h:7000"},
            "is not supported on a Redis Cluster",
        ),
        ({"replicas_ack": -1, "url": "redis://h"}, "must be at least 0, not -1"),
        (
            {"replicas_ack": 1, "url": "redis://h", "replica_ack_timeout_ms": 0},
            "must be at least 10, not 0",
        ),
    ],
)
def test_replicas_ack_that_cannot_work(
    redis: dict[str, Any], reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    data = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    data["redis"].update(redis)
    with pytest.raises(ConfigError) as info:
        config_mod.parse(data, ROOT / "config.toml")
    assert info.value.key in ("redis.replicas_ack", "redis.replica_ack_timeout_ms")
    assert reason in info.value.reason


def test_replicas_ack_on_sentinel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    data = demo_with_url("redis+sentinel://10.0.0.1,10.0.0.2,10.0.0.3/sothutu")
    data["redis"].update(replicas_ack=1, replica_ack_timeout_ms=250)
    cfg = config_mod.parse(data, ROOT / "config.toml")
    assert cfg.redis.sentinel and not cfg.redis.cluster
    assert (cfg.redis.replicas_ack, cfg.redis.replica_ack_timeout_ms) == (1, 250)


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


def test_a_password_never_reaches_a_message() -> None:
    from queue_server.config import masked

    assert masked("redis://app:s3cret@10.0.0.5:6379/0") == "redis://app:***@10.0.0.5:6379/0"
    assert masked("rediss://:p%40ss@h/0") == "rediss://:***@h/0"
    assert masked("redis+sentinel://u:pw@a:26379,b/m") == "redis+sentinel://u:***@a:26379,b/m"
    assert masked("redis://10.0.0.5:6379/0") == "redis://10.0.0.5:6379/0"
    assert masked("unix:///tmp/r.sock") == "unix:///tmp/r.sock"
