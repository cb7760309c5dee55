"""Redis Sentinel: the client for a `redis+sentinel://` URL.

The client asks the sentinels for the master's address whenever it opens a connection,
with redis-py's public `Sentinel` API. Its connections follow a failover:

- a killed master breaks its connections (or a read times out): each is opened again, to
  the address the sentinels give then, backing off while they still name the dead master;
- a master demoted to a replica answers writes with READONLY and unblocks blocking reads
  (the hub's XREAD) with UNBLOCKED: redis-py closes that connection and the command is
  sent again, to the new master; a script's write refused so comes back as the script's
  error, which `store/scripts.py` recognises: it closes the idle connections
  (`SentinelRedis.master_changed`) and runs the script again;
- the new master has an empty script cache: NOSCRIPT loads the script again
  (`store/scripts.py`), as after a restart.

Unlike one server's client there is no multiplexed connection beside the pool
(`store/multiplex.py` connects to one fixed address): scripts go through the pool, as on
a cluster.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import redis
import redis.asyncio as aredis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import MasterNotFoundError, Sentinel, SentinelConnectionPool
from redis.backoff import ExponentialBackoff

from queue_server.config import sentinel_target
from queue_server.store.multiplex import DEFAULT_TIMEOUT_S

RETRY_ON = (redis.ConnectionError, redis.BusyLoadingError)
SENTINEL_TIMEOUT_S = 1.0
log = logging.getLogger("sothutu.redis")


class NewestSentinel(Sentinel):
    """redis-py's `Sentinel`, except where the master is: every sentinel is asked, and the
    address of the newest configuration (the highest config-epoch) among those that answer
    is taken. redis-py takes the first sentinel's answer, and for a couple of seconds after
    a failover the sentinels that did not lead it still name the old master (they learn of
    the new one through hello messages, every 2 s): a master left running would keep
    taking changes that are lost."""

    async def discover_master(self, service_name: str) -> tuple[str, int]:
        answers: list[Any] = await asyncio.gather(
            *(sentinel.sentinel_masters() for sentinel in self.sentinels),
            return_exceptions=True,
        )
        best: tuple[int, tuple[str, int]] | None = None
        errors = []
        for sentinel, answer in zip(self.sentinels, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):  # cancelled
                    raise answer
                errors.append(f"{sentinel!r}: {answer!r}")
                continue
            state = answer.get(service_name)
            if state and self.check_master_state(state, service_name):
                epoch = int(state.get("config-epoch", 0))
                if best is None or epoch > best[0]:
                    best = (epoch, (state["ip"], int(state["port"])))
        if best is None:
            said = f": {', '.join(errors)}" if errors else ""
            raise MasterNotFoundError(f"No master found for {service_name!r}{said}")
        return best[1]


class BlockingSentinelPool(SentinelConnectionPool, aredis.BlockingConnectionPool):
    """redis-py's pool of master connections found through the sentinels, in which a
    request waits for a free connection under load rather than failing, as in one
    server's pool (`store/connection.py`)."""


class SentinelRedis(aredis.Redis):
    """The master's client; closing it closes its connections to the sentinels too."""

    # Not `sentinel`: the client's SENTINEL command has that name.
    sentinels: Sentinel | None = None

    async def follow_master(self, interval_s: float) -> None:
        """Ask the sentinels for the master every `interval_s`; when it changed, close the
        idle connections and have those in use closed when they come back. Without it a
        master that a failover left running (SENTINEL FAILOVER, a network partition) keeps
        this process's connections, and takes writes that the new master never sees, until
        the sentinels make it a replica (up to 10 s later). Runs until cancelled."""
        assert self.sentinels is not None
        pool: Any = self.connection_pool  # redis-py's sentinel pool is untyped
        while True:
            await asyncio.sleep(interval_s)
            try:
                address = await self.sentinels.discover_master(pool.service_name)
                if pool.master_address is None or address == pool.master_address:
                    continue
                log.warning(
                    "the sentinels name a new master for %r: %s:%s (was %s:%s)",
                    pool.service_name, *address, *pool.master_address,
                )  # fmt: skip
                await pool.get_master_address()  # takes it, and closes the idle connections
                await pool.update_active_connections_for_reconnect()
            except MasterNotFoundError:
                continue  # no sentinel answers, or none names a master it sees up
            except Exception:  # the next round asks again
                log.exception("following the sentinels' master failed")

    async def master_changed(self) -> None:
        """A connection found its node demoted to a replica, in a way redis-py does not
        see (a script's error carrying READONLY): the idle connections are closed, and each
        opens again to the master the sentinels name then."""
        await self.connection_pool.disconnect(inuse_connections=False)

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        sentinels, self.sentinels = self.sentinels, None
        if sentinels is not None:
            await sentinels.aclose()


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=8, supported_errors=RETRY_ON)


def connect_sentinel(url: str) -> aredis.Redis:
    """The master's client from `redis+sentinel://host:port[,...]/MASTER[/db]`; no
    connection is made before first use."""
    target = sentinel_target(url)
    tls: dict[str, Any] = {"ssl": True} if target.tls else {}
    if target.ssl_ca_certs:
        tls["ssl_ca_certs"] = target.ssl_ca_certs
    sentinel = NewestSentinel(
        list(target.sentinels),
        sentinel_kwargs={
            "username": target.sentinel_username,
            "password": target.sentinel_password,
            # Every sentinel is asked at once, and the answer waits for the slowest: a
            # sentinel host that is down costs this much on each new connection.
            "socket_timeout": SENTINEL_TIMEOUT_S,
            "socket_connect_timeout": SENTINEL_TIMEOUT_S,
            "protocol": 2,
            "decode_responses": True,
            **tls,
        },
    )
    client = sentinel.master_for(
        target.master,
        redis_class=SentinelRedis,
        connection_pool_class=BlockingSentinelPool,
        db=target.db,
        username=target.username,
        password=target.password,
        decode_responses=True,
        protocol=2,
        socket_timeout=DEFAULT_TIMEOUT_S,
        socket_connect_timeout=DEFAULT_TIMEOUT_S,
        health_check_interval=30,
        max_connections=int(os.environ.get("SOTHUTU_REDIS_POOL", "64")),
        timeout=20,
        retry=_retry(),
        retry_on_error=list(RETRY_ON),
        **tls,
    )
    assert isinstance(client, SentinelRedis)
    client.sentinels = sentinel
    return client
