"""Configuration: `config.toml` read once at start into frozen, validated objects.

    settings.py   the deployment: Config, ServerConfig, RedisConfig, cluster seeds,
                  sentinel targets
    reader.py     the TOML reader: load, parse, parse_office; errors name file, key, reason
    bounds.py     every office value's type and bounds, written once, for the reader and
                  the manager console's forms

The office itself (Office, Field, Counter, …) is `queue_server.office`.
"""

from queue_server.config.reader import load, parse, parse_office
from queue_server.config.settings import (
    CLUSTER_SCHEMES,
    REDIS_SCHEMES,
    SENTINEL_SCHEMES,
    ClusterSeeds,
    Config,
    HeadLimits,
    RedisConfig,
    SentinelTarget,
    ServerConfig,
    check_redis_url,
    cluster_seeds,
    masked,
    sentinel_target,
)

__all__ = [
    "CLUSTER_SCHEMES",
    "REDIS_SCHEMES",
    "SENTINEL_SCHEMES",
    "ClusterSeeds",
    "Config",
    "HeadLimits",
    "RedisConfig",
    "SentinelTarget",
    "ServerConfig",
    "check_redis_url",
    "cluster_seeds",
    "load",
    "masked",
    "parse",
    "parse_office",
    "sentinel_target",
]
