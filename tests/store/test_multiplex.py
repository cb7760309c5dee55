"""The multiplexed client: many callers over one pipelined connection, each answered with its
own reply, and nothing sent twice that could do harm when the connection breaks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import hiredis
import pytest
import redis
import redis.asyncio as aredis

from queue_server.store.connection import EmbeddedRedis, connect
from queue_server.store.multiplex import Endpoint, MultiplexedRedis, Multiplexer
from queue_server.store.scripts import Scripts, Template

SLOW = "local t = redis.call('TIME'); local stop = t[1] * 1e6 + t[2] + ARGV[1] * 1000\n" \
    "repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] >= stop\n" \
    "return redis.call('INCR', KEYS[1])"  # fmt: skip


class Proxy:
    """A TCP proxy in front of Redis that the test can cut: every connection it holds is
    closed at once, as when a network link or the server drops."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.links: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.accepted = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        up_reader, up_writer = await asyncio.open_unix_connection(self.target)
        self.links += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        for w in self.links:
            w.transport.abort()
        self.links.clear()

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()


@pytest.fixture
async def proxied(redis_server: EmbeddedRedis, r: Any) -> AsyncIterator[tuple[Multiplexer, Proxy]]:
    proxy = Proxy(redis_server.url().removeprefix("unix://"))
    port = await proxy.start()
    mux = Multiplexer(Endpoint.from_url(f"redis://127.0.0.1:{port}/0?socket_timeout=1"))
    yield mux, proxy
    await mux.aclose()
    await proxy.close()


def mux_of(client: Any) -> Multiplexer:
    assert isinstance(client, MultiplexedRedis)
    return client.multiplexer()


async def test_many_callers_each_get_their_own_answer(r: Any) -> None:
    mux = mux_of(r)
    await r.mset({f"k{i}": f"giá trị {i}" for i in range(500)})
    values = await asyncio.gather(*(mux.execute("GET", f"k{i}") for i in range(500)))
    assert values == [f"giá trị {i}" for i in range(500)]
    # Raw RESP2 answers, as the pool's connections get them before redis-py's callbacks.
    await r.hset("h", mapping={"a": "1"})
    answers: tuple[Any, ...] = await asyncio.gather(
        mux.execute("HGETALL", "h"), mux.execute("EXISTS", "h"), mux.execute("GET", "none")
    )
    assert list(answers) == [["a", "1"], 1, None]


async def test_an_error_answer_goes_to_its_caller_only(r: Any) -> None:
    mux = mux_of(r)
    await r.set("text", "abc")
    results = await asyncio.gather(
        mux.execute("INCR", "n"), mux.execute("INCR", "text"), mux.execute("INCR", "n"),
        return_exceptions=True,
    )  # fmt: skip
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], redis.ResponseError)
    assert str(results[1]) == "value is not an integer or out of range"
    with pytest.raises(redis.DataError):
        await mux.execute("SET", "k", None)
    assert await r.get("n") == "2"  # the connection goes on after both


async def test_scripts_and_a_lost_script_cache(r: Any) -> None:
    mux = mux_of(r)
    sha = await mux.execute("SCRIPT", "LOAD", "return ARGV[1]")
    assert await mux.execute("EVALSHA", sha, 0, "hello") == "hello"
    await r.script_flush()
    with pytest.raises(redis.exceptions.NoScriptError):
        await mux.execute("EVALSHA", sha, 0, "hello")


@pytest.mark.parametrize(
    ("own_keys", "fixed_keys", "own_args", "fixed_args"),
    [
        (("k1",), ("k2", "k3"), ("1", 5), ("x", 7, "Đất đai")),
        ((), ("k1",), ("0",), ()),
        (("k1", "k2"), (), ("0", 12345678901234), ("a",)),
    ],
)
async def test_a_script_template_sends_what_the_plain_call_would(
    r: Any, own_keys: Any, fixed_keys: Any, own_args: Any, fixed_args: Any
) -> None:
    """A script's fixed keys and arguments kept encoded (`Template`) reach Redis exactly as
    the plain call would, through the multiplexer (wire form) and through redis-py (as on a
    cluster)."""
    template = Template(fixed_keys, fixed_args)
    ks, args = (*own_keys, *fixed_keys), (*own_args, *fixed_args)
    sha = "0" * 40
    plain = ("EVALSHA", sha, len(ks), *ks, *args)
    assert template.wire(sha, own_keys, own_args) == hiredis.pack_command(plain)
    assert template.plain(own_keys, own_args) == (list(ks), list(args))
    echo = "return cjson.encode({k = KEYS, a = ARGV})"
    for client in (r, aredis.Redis.from_pool(r.connection_pool)):
        scripts = Scripts(client)
        scripts._scripts["echo"] = client.register_script(echo)
        got = await scripts.run_template("echo", template, own_keys, own_args)
        assert got == {"k": [str(v) for v in ks] or {}, "a": [str(v) for v in args] or {}}
    with pytest.raises(redis.DataError):
        Template(("k",), (None,))  # type: ignore[arg-type]


async def test_a_cut_connection_fails_unsafe_commands_in_flight_and_retries_safe_ones(
    proxied: tuple[Multiplexer, Proxy], r: Any
) -> None:
    mux, proxy = proxied
    await r.set("n", "0")
    # Two slow scripts in flight when the link drops: Redis has run or will run them, but
    # the client cannot know. The unsafe one fails, the one under an idempotency key (said
    # to be safe) is sent again on a new connection.
    unsafe = asyncio.ensure_future(mux.execute("EVAL", SLOW, 1, "n", 300))
    safe = asyncio.ensure_future(mux.execute("EVAL", SLOW, 1, "n", 300, safe=True))
    await asyncio.sleep(0.1)
    proxy.cut()
    with pytest.raises(redis.ConnectionError):
        await unsafe
    assert int(await safe) >= 2  # it ran again after the first two
    assert proxy.accepted == 2
    assert await mux.execute("GET", "missing") is None  # and the client goes on


class Mute:
    """A server that accepts, answers the connection's handshake (or, `silent`, nothing at
    all), and never answers a SET: a hung host."""

    def __init__(self, silent: bool = False) -> None:
        self.silent = silent
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        while data := await reader.read(1 << 20):
            if self.silent:
                continue
            # redis-py's handshake (CLIENT SETINFO ...) and the multiplexer's PING.
            for _ in range(data.count(b"SETINFO")):
                writer.write(b"+OK\r\n")
            if b"PING" in data:
                writer.write(b"+PONG\r\n")

    async def close(self) -> None:
        for w in self.writers:
            w.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def test_a_silent_server_times_out() -> None:
    """A server that accepts but never answers (a hung host): the request fails after
    socket_timeout, on the multiplexer (its watchdog breaks the connection) and on
    redis-py's path (its read times out and is not sent again)."""
    mute = Mute()
    port = await mute.start()
    client = connect(f"redis://127.0.0.1:{port}/0?socket_timeout=0.3")
    loop = asyncio.get_running_loop()
    try:
        t0 = loop.time()
        with pytest.raises(redis.TimeoutError, match=r"did not answer in 0\.3 s"):
            await asyncio.wait_for(mux_of(client).execute("SET", "k", "v"), 10)
        assert loop.time() - t0 < 1.0
        t0 = loop.time()
        with pytest.raises(redis.TimeoutError):
            await asyncio.wait_for(client.set("k", "v"), 10)
        assert loop.time() - t0 < 1.0
    finally:
        await client.aclose()
        await mute.close()


async def test_a_server_silent_from_the_start_fails_in_the_end() -> None:
    """No answer even to the handshake: the connection is tried again (the command was
    never sent), each try broken after socket_timeout, and the caller hears of it once the
    attempts are used."""
    mute = Mute(silent=True)
    port = await mute.start()
    endpoint = Endpoint.from_url(f"redis://127.0.0.1:{port}/0?socket_timeout=0.1")
    mux = Multiplexer(endpoint, attempts=3, backoff_base=0.01)
    try:
        with pytest.raises(redis.TimeoutError, match=r"did not answer in 0\.1 s"):
            await asyncio.wait_for(mux.execute("SET", "k", "v"), 10)
        assert len(mute.writers) == 3
    finally:
        await mux.aclose()
        await mute.close()


async def test_a_restart_is_ridden_out(tmp_path: Any) -> None:
    """A command asked while Redis restarts waits for it (it was never sent, so it is sent
    once it can be) instead of failing: on the multiplexer and on redis-py's path."""
    server = EmbeddedRedis(tmp_path / "restart", appendfsync="always")
    server.start()
    client = connect(server.url())
    mux = mux_of(client)
    try:
        await client.set("kept", "yes")
        assert await mux.execute("INCR", "counter") == 1
        server.stop()
        await asyncio.sleep(0.1)  # the client sees the connection close
        during = asyncio.ensure_future(mux.execute("INCR", "counter"))
        plain = asyncio.ensure_future(client.incr("plain"))
        await asyncio.sleep(0.5)
        assert not during.done() and not plain.done()
        server.start()
        assert await asyncio.wait_for(during, 10) == 2
        assert await asyncio.wait_for(plain, 10) == 1
        assert await client.get("kept") == "yes"
    finally:
        await client.aclose()
        server.stop()


def test_an_endpoint_from_each_kind_of_url() -> None:
    unix = Endpoint.from_url("unix:///run/redis.sock?db=2&socket_timeout=1.5")
    assert (unix.path, unix.db, unix.socket_timeout, unix.connect_timeout) == (
        "/run/redis.sock", 2, 1.5, 1.5,
    )  # fmt: skip
    tcp = Endpoint.from_url("redis://sothutu:m%40t-kh%E1%BA%A9u@10.0.0.5:6380/3")
    assert (tcp.host, tcp.port, tcp.db, tcp.username, tcp.password, tcp.tls) == (
        "10.0.0.5", 6380, 3, "sothutu", "m@t-khẩu", None,
    )  # fmt: skip
    assert tcp.handshake() == [("AUTH", "sothutu", "m@t-khẩu"), ("SELECT", 3), ("PING",)]
    assert Endpoint.from_url("redis://:secret@h").handshake() == [("AUTH", "secret"), ("PING",)]
    tls = Endpoint.from_url("rediss://h:6380/0?ssl_cert_reqs=none")
    assert tls.tls is not None and tls.tls.verify_mode.name == "CERT_NONE"
    assert not tls.tls.check_hostname
    assert Endpoint.from_url("rediss://h").tls.check_hostname  # type: ignore[union-attr]


async def test_a_password_is_given_and_a_wrong_one_refused(tmp_path: Any) -> None:
    server = EmbeddedRedis(tmp_path / "auth", appendfsync="no")
    server.start()
    admin = redis.Redis(unix_socket_path=str(server.socket))
    admin.config_set("requirepass", "bí mật")
    path = server.socket
    try:
        good = Multiplexer(Endpoint(path=str(path), password="bí mật", db=1))
        assert await good.execute("SET", "k", "v") == "OK"
        db1 = redis.Redis(unix_socket_path=str(path), password="bí mật", db=1)
        assert db1.get("k") == b"v"
        db1.close()
        await good.aclose()
        wrong = Multiplexer(Endpoint(path=str(path), password="sai"))
        with pytest.raises(redis.AuthenticationError):
            await asyncio.wait_for(wrong.execute("GET", "k"), 5)
        await wrong.aclose()
    finally:
        admin.close()
        server.stop()


def test_on_uvloop(redis_server: EmbeddedRedis) -> None:
    """The server runs on uvloop, whose transports are its own classes: answers, an error
    answer and a connection the server drops, there too."""
    import uvloop

    async def scenario() -> None:
        mux = Multiplexer(Endpoint.from_url(redis_server.url()))
        try:
            await mux.execute("SET", "uv", "loop")
            got = await asyncio.gather(*(mux.execute("GET", "uv") for _ in range(50)))
            assert got == ["loop"] * 50
            with pytest.raises(redis.ResponseError):
                await mux.execute("INCR", "uv")
            await mux.execute("CLIENT", "KILL", "SKIPME", "no")  # drops every connection
            await asyncio.sleep(0.05)
            assert await mux.execute("GET", "uv") == "loop"
        finally:
            await mux.aclose()

    uvloop.run(scenario())
