"""Many coroutines' commands over one Redis connection, pipelined automatically.

redis-py sends each command on a connection taken from the pool and waits for its answer
before the connection goes back: per command a pool checkout, a retry wrapper, a write
system call and a wake-up. Under load that call path, not Redis, limited how many tickets
one server process could issue (docs/BENCHMARKS.md). Here, commands issued in the same turn
of the event loop go out in one write, and one reader task hands the answers back in
order (Redis answers in the order it was asked). The connection is redis-py's own (its
parser, hiredis when installed, its connect, auth and TLS from the URL), only the call path
around it is ours: what ioredis and Lettuce call auto-pipelining.

Nothing is sent twice unless it is safe: a command that never left the process is sent
again on a new connection (up to `attempts` times, with back-off, so a Redis restart is
ridden out as redis-py's retries did), a command that was written but not answered when
the connection broke is retried only when the caller said it may be (`safe=True`: reads,
and scripts protected by an idempotency key); otherwise its caller gets the
`ConnectionError`, as it cannot be known whether Redis ran it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import hiredis
import redis
import redis.asyncio as aredis
from redis._parsers.hiredis import NOT_ENOUGH_DATA, _AsyncHiredisParser
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.client import EMPTY_RESPONSE, NEVER_DECODE

log = logging.getLogger(__name__)

RETRY_ON = (redis.ConnectionError, redis.TimeoutError, OSError)


@dataclass(eq=False)
class _Command:
    args: tuple[Any, ...] | bytes  # bytes: the command already in Redis's wire form
    future: asyncio.Future[Any]
    safe: bool
    attempt: int = 0
    sent_at: float = 0.0  # the loop's time when it was written


class Multiplexer:
    """One connection shared by every caller, commands pipelined in arrival order."""

    def __init__(
        self,
        pool: aredis.ConnectionPool,
        *,
        attempts: int = 9,
        backoff_base: float = 0.05,
        backoff_cap: float = 1.0,
    ) -> None:
        self._pool = pool
        self._attempts = attempts
        self._backoff = (backoff_base, backoff_cap)
        self._outbox: list[_Command] = []
        self._inflight: deque[_Command] = deque()
        self._conn: AbstractConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._flush_scheduled = False
        self._closed = False
        self._watchdog: asyncio.TimerHandle | None = None
        self._pending: set[asyncio.Future[None]] = set()

    async def execute(self, *args: Any, safe: bool = False) -> Any:
        """Send one command; its answer, or the error Redis answered with."""
        return await self._enqueue(args, safe)

    def execute_wire(self, wire: bytes, *, safe: bool = False) -> asyncio.Future[Any]:
        """`execute` for a command its caller encoded in Redis's wire form (RESP); the
        future of its answer."""
        return self._enqueue(wire, safe)

    def _enqueue(self, args: tuple[Any, ...] | bytes, safe: bool) -> asyncio.Future[Any]:
        if self._closed:
            raise redis.ConnectionError("the Redis multiplexer is closed")
        command = _Command(args, asyncio.get_running_loop().create_future(), safe)
        self._outbox.append(command)
        self._schedule_flush()
        return command.future

    async def aclose(self) -> None:
        self._closed = True
        for task in (self._writer, self._reader):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._fail_all(redis.ConnectionError("the Redis multiplexer is closed"))
        await self._drop_connection()

    # Writing: on a live connection straight from the loop's callback, with no task switch;
    # otherwise a task connects (backing off while Redis is away) and then writes.

    def _schedule_flush(self) -> None:
        # Everything asked in this turn of the loop goes out in one write, next turn.
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if not self._outbox or self._closed:
            return
        conn = self._conn
        connecting = self._writer is not None and not self._writer.done()
        if conn is not None and conn.is_connected and not connecting:
            self._send(conn)
        elif not connecting:
            self._writer = asyncio.create_task(self._connect_loop(), name="redis-multiplex-writer")

    async def _connect_loop(self) -> None:
        while self._outbox and not self._closed:
            try:
                conn = await self._connection()
            except RETRY_ON as exc:
                await self._connect_failed(exc)
                continue
            self._send(conn)
            return

    def _send(self, conn: AbstractConnection) -> None:
        batch, self._outbox = self._outbox, []
        packed: list[bytes] = []
        now = asyncio.get_running_loop().time()
        for c in batch:
            if c.future.done():  # its caller gave up before it was sent
                continue
            if isinstance(c.args, bytes):
                packed.append(c.args)
            else:
                try:
                    # hiredis packs in C, seven times quicker than redis-py's Python packer.
                    packed.append(hiredis.pack_command(c.args))
                except TypeError as error:  # an argument Redis cannot take (None, a list)
                    c.future.set_exception(redis.DataError(f"{c.args[0]}: {error}"))
                    continue
            c.sent_at = now
            self._inflight.append(c)
        if not packed:
            return
        writer = conn._writer  # redis-py's StreamWriter of this connection
        try:
            if writer is None or writer.transport.is_closing():
                raise redis.ConnectionError("the connection was closed")
            # No drain: the commands in flight are bounded by the callers waiting for them.
            writer.writelines(packed)
            self._arm_watchdog(conn)
        except Exception as exc:
            self._spawn(self._broken(conn, exc))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _connection(self) -> AbstractConnection:
        if self._conn is not None and self._conn.is_connected:
            return self._conn
        # One attempt per connect: the back-off between attempts is ours (_connect_failed).
        kwargs = {**self._pool.connection_kwargs, "retry": Retry(NoBackoff(), 0)}
        conn: AbstractConnection = self._pool.connection_class(**kwargs)
        await conn.connect()  # type: ignore[no-untyped-call]
        self._conn = conn
        self._reader = asyncio.create_task(self._read_loop(conn), name="redis-multiplex-reader")
        return conn

    async def _connect_failed(self, exc: BaseException) -> None:
        """No connection: the waiting commands were never sent; try again later, or fail
        those that have used their attempts."""
        keep: list[_Command] = []
        for c in self._outbox:
            c.attempt += 1
            if c.attempt >= self._attempts:
                _fail(c, exc)
            elif not c.future.done():
                keep.append(c)
        self._outbox = keep
        if keep:
            attempt = min(c.attempt for c in keep)
            base, cap = self._backoff
            await asyncio.sleep(min(cap, base * 2**attempt))

    # The reader: one answer per command in flight, in order.

    async def _read_loop(self, conn: AbstractConnection) -> None:
        try:
            parser = conn._parser
            if isinstance(parser, _AsyncHiredisParser) and parser._reader is not None:
                await self._read_hiredis(parser)
            else:
                while True:
                    try:
                        # No read timeout: an idle connection waits as long as it likes;
                        # the watchdog breaks one that leaves commands unanswered.
                        answer: Any = await conn.read_response(
                            timeout=math.inf, disconnect_on_error=False
                        )
                    except redis.ResponseError as error:
                        answer = error
                    self._answer(answer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._broken(conn, exc)

    async def _read_hiredis(self, parser: _AsyncHiredisParser) -> None:
        """The connection's own hiredis reader, driven directly: after each read of the
        socket, every complete answer in it is handed out in one go, rather than one call
        through redis-py's read path per answer. Error replies come as ResponseError
        objects (the reader's `replyError`), a broken stream raises."""
        reader: Any = parser._reader
        while True:
            answer = reader.gets()
            if answer is NOT_ENOUGH_DATA:  # redis-py makes its reader answer this when short
                await parser.read_from_socket()  # type: ignore[no-untyped-call]
                continue
            self._answer(answer)

    def _answer(self, answer: Any) -> None:
        if not self._inflight:
            raise redis.ConnectionError("Redis sent an answer nobody asked for")
        command = self._inflight.popleft()
        if command.future.done():
            return
        if isinstance(answer, redis.ResponseError):
            command.future.set_exception(answer)
        else:
            command.future.set_result(answer)

    def _arm_watchdog(self, conn: AbstractConnection) -> None:
        """When the oldest command in flight has waited `socket_timeout` (redis-py's, 5 s by
        default) for its answer, the connection is taken as dead (a hung server or network).
        One timer at a time, set for the oldest command's deadline."""
        if self._watchdog is not None or not self._inflight:
            return
        timeout = conn.socket_timeout or 5.0
        loop = asyncio.get_running_loop()

        def check() -> None:
            self._watchdog = None
            if self._conn is not conn or not self._inflight:
                return
            left = timeout - (loop.time() - self._inflight[0].sent_at)
            if left <= 0:
                error = redis.TimeoutError(f"Redis did not answer in {timeout:g} s")
                self._spawn(self._broken(conn, error))
            else:
                self._watchdog = loop.call_later(left, check)

        check()

    async def _broken(self, conn: AbstractConnection, exc: BaseException) -> None:
        """The connection failed: commands in flight are answered with the error unless
        they are safe to send again; those and the unsent ones go out on a new one."""
        if self._conn is not conn:
            return
        log.warning("Redis connection lost (%s); reconnecting", exc)
        self._conn = None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        reader, self._reader = self._reader, None
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
        with contextlib.suppress(Exception):
            await conn.disconnect(nowait=True)
        again: list[_Command] = []
        while self._inflight:
            c = self._inflight.popleft()
            c.attempt += 1
            if c.safe and c.attempt < self._attempts:
                again.append(c)
            else:
                _fail(c, exc)
        self._outbox[:0] = again
        if self._outbox:
            self._schedule_flush()

    def _fail_all(self, exc: BaseException) -> None:
        for c in (*self._inflight, *self._outbox):
            _fail(c, exc)
        self._inflight.clear()
        self._outbox.clear()

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.disconnect(nowait=True)


def _fail(command: _Command, exc: BaseException) -> None:
    if not command.future.done():
        if not isinstance(exc, redis.RedisError):
            exc = redis.ConnectionError(str(exc))
        command.future.set_exception(exc)


# Commands that hold or change the connection they run on: they keep redis-py's own path
# (a connection of the pool for the caller alone).
_OWN_CONNECTION = frozenset(
    {
        "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
        "WAIT", "WAITAOF", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "CLIENT",
        "SELECT", "AUTH", "HELLO", "MULTI", "EXEC", "WATCH", "UNWATCH", "DISCARD", "RESET",
        "QUIT", "SHUTDOWN", "DEBUG", "SYNC", "PSYNC", "REPLICAOF", "SLAVEOF",
    }
)  # fmt: skip
# Commands that change nothing: sent again after a broken connection even when unanswered.
_READS = frozenset(
    {
        "GET", "MGET", "STRLEN", "EXISTS", "TTL", "PTTL", "TYPE", "HGET", "HMGET", "HGETALL",
        "HEXISTS", "HLEN", "HKEYS", "HVALS", "HSCAN", "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE",
        "ZREVRANGEBYSCORE", "ZCARD", "ZCOUNT", "ZSCORE", "ZMSCORE", "ZRANK", "ZREVRANK",
        "ZSCAN", "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD", "SSCAN", "LRANGE", "LLEN",
        "LINDEX", "XRANGE", "XREVRANGE", "XLEN", "XINFO", "XREAD", "SCAN", "KEYS", "DBSIZE",
        "PING", "ECHO", "INFO", "TIME", "SCRIPT", "EVALSHA_RO", "EVAL_RO", "MEMORY", "OBJECT",
    }
)  # fmt: skip
SAFE_OPTION = "sothutu_safe"


class MultiplexedRedis(aredis.Redis):
    """redis-py's asyncio client, its plain commands sent through one `Multiplexer`.

    Pipelines, transactions, blocking reads (`XREAD BLOCK`, `BLPOP`, ...) and commands that
    change the connection keep a pool connection of their own, as before. A caller may pass
    `sothutu_safe=True` to `execute_command` to say that sending the command twice does no
    harm (a script run under an idempotency key)."""

    _mux: Multiplexer | None = None

    def multiplexer(self) -> Multiplexer:
        if self._mux is None:
            self._mux = Multiplexer(self.connection_pool)
        return self._mux

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        command = str(args[0])
        words = command.upper().split()  # redis-py names some commands "SCRIPT LOAD"
        name = words[0]
        safe = bool(options.pop(SAFE_OPTION, False))
        if (
            name in _OWN_CONNECTION
            or (name in ("XREAD", "XREADGROUP") and _blocks(args))
            or self.connection is not None
            or self.single_connection_client
            or NEVER_DECODE in options
        ):
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        if len(words) > 1:
            args = (*command.split(), *args[1:])
        try:
            response = await self.multiplexer().execute(*args, safe=safe or name in _READS)
        except redis.ResponseError:
            if EMPTY_RESPONSE in options:
                return options[EMPTY_RESPONSE]
            raise
        options.pop(EMPTY_RESPONSE, None)
        options.pop("keys", None)
        callback = self.response_callbacks.get(command) or self.response_callbacks.get(
            command.upper()
        )
        if callback is None:
            return response
        result = callback(response, **options)
        return await result if inspect.isawaitable(result) else result

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        if self._mux is not None:
            mux, self._mux = self._mux, None
            await mux.aclose()
        await super().aclose(close_connection_pool)


def _blocks(args: tuple[Any, ...]) -> bool:
    return any(a in (b"BLOCK", "BLOCK", b"block", "block") for a in args[1:])
