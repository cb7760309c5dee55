"""The deployment's settings: where the server listens, which Redis it uses, where
reminders go, and the offices it serves (`queue_server.office`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from queue_server.network import is_loopback, listening_url
from queue_server.office import Office

FsyncPolicy = Literal["always", "everysec", "no"]


@dataclass(frozen=True)
class RedisConfig:
    url: str | None
    appendfsync: FsyncPolicy
    # A change of the queue is answered only once this many replicas have it (WAIT), or
    # 503 after `replica_ack_timeout_ms`; 0: answered as soon as the master has it.
    replicas_ack: int = 0
    replica_ack_timeout_ms: int = 500

    @property
    def cluster(self) -> bool:
        """A Redis Cluster (or Valkey cluster): `redis+cluster://` or `rediss+cluster://`."""
        return self.url is not None and self.url.startswith(CLUSTER_SCHEMES)

    @property
    def sentinel(self) -> bool:
        """A master found through Redis Sentinel: `redis+sentinel://`, `rediss+sentinel://`."""
        return self.url is not None and self.url.startswith(SENTINEL_SCHEMES)


CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")
SENTINEL_SCHEMES = ("redis+sentinel://", "rediss+sentinel://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://", *CLUSTER_SCHEMES, *SENTINEL_SCHEMES)
SENTINEL_PORT = 26379
# What a sentinel URL may say after `?`: the sentinels' own credentials, and the CA that
# signs the certificates of sentinels and data nodes under rediss+sentinel://.
SENTINEL_OPTIONS = ("sentinel_username", "sentinel_password", "ssl_ca_certs")


@dataclass(frozen=True)
class ClusterSeeds:
    """Where a cluster client starts: any node(s) of the cluster; it finds the others."""

    nodes: tuple[tuple[str, int], ...]
    username: str | None
    password: str | None
    tls: bool


@dataclass(frozen=True)
class SentinelTarget:
    """Where a Sentinel client asks for the master, and how it talks to each.

    `username`/`password` (the URL's `user:password@`) are for the master and replicas;
    the sentinels get `sentinel_username`/`sentinel_password` from the query, and no
    credentials without them (a sentinel usually has no password, or one of its own)."""

    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int
    username: str | None
    password: str | None
    sentinel_username: str | None
    sentinel_password: str | None
    tls: bool
    ssl_ca_certs: str | None = None


def _userinfo(userinfo: str) -> tuple[str | None, str | None]:
    user, colon, secret = userinfo.partition(":")
    return unquote(user) or None, unquote(secret) if colon else None


def _hosts(hosts: str, default_port: int, what: str, member: str) -> tuple[tuple[str, int], ...]:
    """`host[:port][,host[:port]...]`, IPv6 hosts in brackets."""
    nodes = []
    for item in hosts.split(","):
        if item.startswith("["):  # [IPv6]:port
            host, _, port_text = item[1:].partition("]")
            port_text = port_text.removeprefix(":")
        else:
            host, _, port_text = item.partition(":")
        if not host:
            raise ValueError(
                f"a {what} URL needs host[:port] of at least one {member}, not {item!r}"
            )
        try:
            port = int(port_text) if port_text else default_port
        except ValueError:
            raise ValueError(f"port of {item!r} must be a number") from None
        if not 0 < port < 65536:
            raise ValueError(f"port of {item!r} must be between 1 and 65535")
        nodes.append((host, port))
    return tuple(nodes)


def sentinel_target(url: str) -> SentinelTarget:
    """`redis+sentinel://[user:password@]host[:port][,host[:port]...]/MASTER[/db]`
    (`rediss+` for TLS to sentinels and data nodes alike; port 26379 by default), with
    `?sentinel_username=&sentinel_password=` for sentinels that have credentials of their
    own, and `?ssl_ca_certs=` for a CA of your own under TLS.

    >>> t = sentinel_target("redis+sentinel://s1,s2:26380/sothutu/2")
    >>> t.sentinels, t.master, t.db
    ((('s1', 26379), ('s2', 26380)), 'sothutu', 2)

    Raises ValueError with a reason for the operator."""
    scheme, sep, rest = url.partition("://")
    if not sep or f"{scheme}://" not in SENTINEL_SCHEMES:
        raise ValueError("a sentinel URL starts with redis+sentinel:// or rediss+sentinel://")
    if "#" in rest:
        raise ValueError("a sentinel URL takes no #fragment")
    rest, _, query_text = rest.partition("?")
    query = parse_qs(query_text, keep_blank_values=True)
    unknown = sorted(set(query) - set(SENTINEL_OPTIONS))
    if unknown or (query_text and not query):
        raise ValueError(
            f"a sentinel URL takes only ?{'=, ?'.join(SENTINEL_OPTIONS)}=, "
            f"not ?{unknown[0] if unknown else query_text}"
        )
    options = {k: unquote(v[-1]) for k, v in query.items()}
    netloc, _, path = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    username, password = _userinfo(userinfo) if at else (None, None)
    sentinels = _hosts(hosts, SENTINEL_PORT, "sentinel", "sentinel")
    master, _, db_text = path.partition("/")
    master = unquote(master)
    if not master:
        raise ValueError(
            "a sentinel URL names the master after the sentinels, e.g. "
            "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/sothutu"
        )
    db_text = db_text.strip("/")
    if db_text and not db_text.isdigit():
        raise ValueError(f"the database after the master's name must be a number, not /{db_text}")
    if options.get("ssl_ca_certs") and scheme != "rediss+sentinel":
        raise ValueError("ssl_ca_certs needs rediss+sentinel:// (TLS)")
    return SentinelTarget(
        sentinels=sentinels,
        master=master,
        db=int(db_text or 0),
        username=username,
        password=password,
        sentinel_username=options.get("sentinel_username") or None,
        sentinel_password=options.get("sentinel_password") or None,
        tls=scheme == "rediss+sentinel",
        ssl_ca_certs=options.get("ssl_ca_certs") or None,
    )


def cluster_seeds(url: str) -> ClusterSeeds:
    """`redis+cluster://[user:password@]host[:port][,host[:port]...]` (`rediss+` for TLS).

    >>> cluster_seeds("redis+cluster://10.0.0.1:7000,10.0.0.2").nodes
    (('10.0.0.1', 7000), ('10.0.0.2', 6379))

    Raises ValueError with a reason for the operator."""
    scheme, sep, rest = url.partition("://")
    if not sep or f"{scheme}://" not in CLUSTER_SCHEMES:
        raise ValueError("a cluster URL starts with redis+cluster:// or rediss+cluster://")
    if "?" in rest or "#" in rest:
        raise ValueError("a cluster URL takes no ?options or #fragment")
    netloc, _, path = rest.partition("/")
    if path not in ("", "0"):
        raise ValueError(f"a cluster has only database 0, not /{path}")
    userinfo, at, hosts = netloc.rpartition("@")
    username, password = _userinfo(userinfo) if at else (None, None)
    nodes = _hosts(hosts, 6379, "cluster", "node")
    return ClusterSeeds(nodes, username, password, scheme == "rediss+cluster")


def masked(url: str) -> str:
    """`url` with its password replaced by "***", for a message or a log line.

    >>> masked("redis://app:s3cret@10.0.0.5:6379/0")
    'redis://app:***@10.0.0.5:6379/0'
    """
    scheme, sep, rest = url.partition("://")
    userinfo, at, hosts = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.partition(':')[0]}:***@{hosts}"


def check_redis_url(url: str) -> None:
    """Raises ValueError with a reason if `url` is not one sothutu can connect to."""
    if not url.startswith(REDIS_SCHEMES):
        raise ValueError(
            "must start with redis://, rediss://, unix://, redis+cluster:// or "
            f"redis+sentinel://, not {masked(url)!r}"
        )
    if url.startswith(CLUSTER_SCHEMES):
        cluster_seeds(url)
        return
    if url.startswith(SENTINEL_SCHEMES):
        sentinel_target(url)
        return
    parts = urlsplit(url)
    protocol = parse_qs(parts.query).get("protocol", [])
    if protocol and protocol != ["2"]:
        # redis-py speaks RESP3 by default but hands replies over in RESP2's shapes; with
        # protocol=3 asked for, it hands the hub's blocking stream reads over in another.
        raise ValueError(
            f"protocol={protocol[-1]} is not supported: leave it out (or use protocol=2)"
        )
    if parts.scheme == "unix":
        if not parts.path:
            raise ValueError("a unix:// URL needs the socket's path, e.g. unix:///run/redis.sock")
        return
    if not parts.hostname:
        raise ValueError("needs a host, e.g. redis://127.0.0.1:6379/0")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ValueError(f"the database after the host must be a number, not /{db}")
    try:
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError as exc:
        raise ValueError(f"bad port: {exc}") from None


@dataclass(frozen=True)
class HeadLimits:
    """What a request's head may hold before it is refused with 431 (a request line longer
    than `line_bytes`: 414). nginx's and Apache's defaults: 8 KB per line, 100 fields, and
    the whole head within nginx's four 8 KB buffers. A head not in full `timeout_s` after
    its first byte is answered 408."""

    line_bytes: int = 8 * 1024
    count: int = 100
    total_bytes: int = 32 * 1024
    timeout_s: float = 10.0


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    # None: links and QR codes follow the address each request came in on (network.py).
    public_url: str | None
    data_dir: Path
    max_body_bytes: int
    heartbeat_s: float
    # A body not in full this long after its head is answered 408.
    body_timeout_s: float = 10.0
    head_limits: HeadLimits = HeadLimits()
    # "text" or "json" (`serve --log-format` overrides it).
    log_format: str = "text"

    def base_url(self) -> str:
        """The address for links made outside a request (a print job, a reminder): the
        public URL if set, else the address this server listens on (its LAN address when
        it listens on every interface)."""
        return self.public_url or listening_url(self.host, self.port)

    def address_warning(self, file: str) -> str | None:
        """What is wrong with `public_url` (read from `file`) for a server listening on the
        network, or None."""
        if (
            not self.public_url
            or is_loopback(self.host)
            or not is_loopback(urlsplit(self.public_url).hostname)
        ):
            return None
        return (
            f"server.public_url = {self.public_url!r} is a loopback address while the server "
            f"listens on {self.host}: phones cannot open the ticket QR codes. Remove "
            f"server.public_url from {file} (links then use the address each "
            f"device uses) or set it to this machine's address, e.g. "
            f"{listening_url(self.host, self.port)}"
        )


@dataclass(frozen=True)
class Config:
    path: Path
    server: ServerConfig
    redis: RedisConfig
    offices: tuple[Office, ...] = field(default=())
    # Where reminders go: "log:" (default), or "smtp://host:port?from=…&to={phone}@gateway".
    notify_url: str = "log:"

    def office(self, slug: str) -> Office | None:
        return next((o for o in self.offices if o.slug == slug), None)
