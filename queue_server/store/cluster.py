"""Redis Cluster (and Valkey cluster): the client for a `redis+cluster://` URL.

Every key of an office carries the hash tag `{office}` and every script receives all its
keys in KEYS, so one office's scripts, MULTI pipelines and stream reads each stay in one
slot, which the client routes to the node that owns it. What differs from one server:

- a script whose node lost its script cache (restart, failover, SCRIPT FLUSH) answers
  NOSCRIPT; the client loads it on every primary that answers (redis-py's SCRIPT LOAD
  fails as a whole while any node is down, which would stop offices on the nodes that
  are up) and runs it again;
- a multi-key XREAD cannot span slots, so the hub reads one slot's offices at a time
  (`store/streams.py`).
"""

from __future__ import annotations

import asyncio
import os

from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.typing import ScriptTextT

from queue_server.config import cluster_seeds

# Per node: on a cluster each hub reader holds one connection per office it reads
# (blocking XREAD), on top of the requests in flight. A cluster client does not queue for a
# free connection as the single-server pool does; it fails, so the limit is generous.
DEFAULT_MAX_CONNECTIONS = 512


class Cluster(RedisCluster):
    """`RedisCluster`, loading scripts as the module docstring says."""

    async def script_load(self, script: ScriptTextT) -> str:
        """SCRIPT LOAD on every primary that answers; fails only if none does."""
        nodes = self.get_primaries()
        answers = await asyncio.gather(
            *(self.execute_command("SCRIPT LOAD", script, target_nodes=n) for n in nodes),
            return_exceptions=True,
        )
        for answer in answers:
            if isinstance(answer, str):
                return answer
        failure = next(a for a in answers if isinstance(a, BaseException))
        raise failure


def connect_cluster(url: str) -> RedisCluster:
    """A cluster client from `redis+cluster://host:port[,host:port...]`; it learns the
    other nodes from the first one that answers."""
    seeds = cluster_seeds(url)
    return Cluster(
        startup_nodes=[ClusterNode(host, port) for host, port in seeds.nodes],
        username=seeds.username,
        password=seeds.password,
        ssl=seeds.tls,
        decode_responses=True,
        socket_timeout=5.0,  # as on one server (store/connection.py); streams.py keys on it
        health_check_interval=30,
        max_connections=int(
            os.environ.get("SOTHUTU_REDIS_NODE_CONNECTIONS", DEFAULT_MAX_CONNECTIONS)
        ),
        # Offices on the nodes that are up keep working while one without a replica is down.
        require_full_coverage=False,
        # A dropped connection or a moved slot: the topology is read again and the command
        # retried (the cluster client counts retries; it does not back off).
        retry=Retry(NoBackoff(), retries=8),
    )


def is_cluster(client: object) -> bool:
    return isinstance(client, RedisCluster)
