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
from queue_server.store.multiplex import SAFE_OPTION, MultiplexedRedis
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
async def proxied(
    redis_server: EmbeddedRedis, r: Any
) -> AsyncIterator[tuple[MultiplexedRedis, Proxy]]:
    proxy = Proxy(redis_server.url().removeprefix("unix://"))
    port = await proxy.start()
    client = connect(f"redis://127.0.0.1:{port}/0?socket_timeout=1")
    assert isinstance(client, MultiplexedRedis)
    yield client, proxy
    await client.aclose()
    await proxy.close()


async def test_many_callers_each_get_their_own_answer(r: Any) -> None:
    assert isinstance(r, MultiplexedRedis)
    await r.mset({f"k{i}": str(i) for i in range(500)})
    values = await asyncio.gather(*(r.get(f"k{i}") for i in range(500)))
    assert values == [str(i) for i in range(500)]
    # The replies still go through redis-py's parsing: a hash as a dict, scores as floats.
    await r.hset("h", mapping={"a": "1", "b": "2"})
    await r.zadd("z", {"x": 1.5})
    answers: list[Any] = list(
        await asyncio.gather(r.hgetall("h"), r.zrange("z", 0, -1, withscores=True))
    )
    assert answers == [
        {"a": "1", "b": "2"},
        [("x", 1.5)],
    ]


async def test_an_error_answer_goes_to_its_caller_only(r: Any) -> None:
    await r.set("text", "abc")
    results = await asyncio.gather(r.incr("n"), r.incr("text"), r.incr("n"), return_exceptions=True)
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], redis.ResponseError)
    with pytest.raises(redis.DataError):
        await r.execute_command("SET", "k", None)
    assert await r.get("n") == "2"  # the connection goes on after both


async def test_commands_with_a_space_in_their_name_and_scripts(r: Any) -> None:
    sha = await r.script_load("return ARGV[1]")  # sent as SCRIPT LOAD
    assert await r.evalsha(sha, 0, "hello") == "hello"
    await r.script_flush()
    with pytest.raises(redis.exceptions.NoScriptError):
        await r.evalsha(sha, 0, "hello")


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


async def test_blocking_reads_keep_their_own_connection(r: Any) -> None:
    """A blocking XREAD on the shared connection would stall every other caller."""
    waiting = asyncio.create_task(r.xread({"s": "$"}, block=2000))
    await asyncio.sleep(0.1)
    assert await asyncio.wait_for(r.get("anything"), 0.5) is None
    await r.xadd("s", {"a": "1"})
    [[stream, entries]] = await asyncio.wait_for(waiting, 2)
    assert stream == "s" and entries[0][1] == {"a": "1"}


async def test_a_cut_connection_fails_unsafe_commands_in_flight_and_retries_safe_ones(
    proxied: tuple[MultiplexedRedis, Proxy],
) -> None:
    client, proxy = proxied
    await client.set("n", "0")
    # Two slow scripts in flight when the link drops: Redis has run or will run them, but
    # the client cannot know. The unsafe one fails, the one under an idempotency key (said
    # to be safe) is sent again on a new connection.
    unsafe: asyncio.Future[Any] = asyncio.ensure_future(client.eval(SLOW, 1, "n", 300))
    safe = asyncio.create_task(
        client.execute_command("EVAL", SLOW, 1, "n", 300, **{SAFE_OPTION: True})
    )
    await asyncio.sleep(0.1)
    proxy.cut()
    with pytest.raises(redis.ConnectionError):
        await unsafe
    assert int(await safe) >= 2  # it ran again after the first two
    assert proxy.accepted == 2
    assert await client.get("missing") is None  # and the client goes on


async def test_a_silent_server_times_out() -> None:
    """A server that accepts but never answers (a hung host): the watchdog breaks the
    connection after socket_timeout and the caller hears of it."""

    writers: list[asyncio.StreamWriter] = []

    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        while data := await reader.read(1 << 20):
            if b"$3\r\nSET\r\n" not in data:  # redis-py's handshake is answered
                writer.write(b"+PONG\r\n" if b"PING" in data else b"+OK\r\n")

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = connect(f"redis://127.0.0.1:{port}/0?socket_timeout=0.3")
    try:
        with pytest.raises(redis.TimeoutError, match=r"did not answer in 0\.3 s"):
            await asyncio.wait_for(client.set("k", "v"), 10)
    finally:
        await client.aclose()
        for w in writers:
            w.close()
        server.close()
        await server.wait_closed()


async def test_a_restart_is_ridden_out(tmp_path: Any) -> None:
    """A command asked while Redis restarts waits for it (it was never sent, so it is sent
    once it can be) instead of failing."""
    server = EmbeddedRedis(tmp_path / "restart", appendfsync="always")
    server.start()
    client = connect(server.url())
    try:
        await client.set("kept", "yes")
        server.stop()
        await asyncio.sleep(0.1)  # the client sees the connection close
        during: asyncio.Future[Any] = asyncio.ensure_future(client.incr("counter"))
        await asyncio.sleep(0.5)
        assert not during.done()
        server.start()
        assert await asyncio.wait_for(during, 10) == 1
        assert await client.get("kept") == "yes"
    finally:
        await client.aclose()
        server.stop()
