"""Many coroutines' commands over one Redis connection, pipelined automatically.

The path every ticket takes (its script) and the hub's quick stream reads go through here;
every other command takes redis-py's client as it is. redis-py sends each command on a
connection taken from its pool and waits for the answer before the connection goes back: per
command a pool checkout, a write system call and a wake-up. Here, commands asked in the same
turn of the event loop go out in one write, and the answers are handed back in order as they
arrive (Redis answers in the order it was asked): what ioredis and Lettuce call
auto-pipelining (docs/architecture.md, "The Redis client").

The connection is our own, on public APIs only: asyncio's transports, and hiredis's `Reader`
(the parser redis-py itself uses) and `pack_command`. It speaks RESP2, as the pool's
connections do (`store/connection.py`).

Nothing is sent twice unless it is safe: a command that never left the process is sent
again on a new connection (up to `attempts` times, with back-off, so a Redis restart is
ridden out), a command that was written but not answered when the connection broke is
retried only when the caller said it may be (`safe=True`: reads, and scripts protected by
an idempotency key); otherwise its caller gets the `ConnectionError`, as it cannot be known
whether Redis ran it. A server that accepts commands and never answers (a hung host) breaks
the connection after `socket_timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import hiredis
import redis
import redis.asyncio as aredis
from redis.exceptions import BusyLoadingError, NoScriptError

log = logging.getLogger(__name__)

RETRY_ON = (redis.ConnectionError, redis.TimeoutError, OSError)
DEFAULT_TIMEOUT_S = 5.0
_SHORT = object()  # what the reader answers while an answer is not complete


@dataclass(frozen=True)
class Endpoint:
    """Where and how to connect, read from a `redis://`, `rediss://` or `unix://` URL with
    the query options redis-py also reads: `socket_timeout`, `socket_connect_timeout`, and
    for TLS `ssl_cert_reqs` (none, optional, required), `ssl_ca_certs`, `ssl_certfile`,
    `ssl_keyfile`, `ssl_check_hostname`."""

    host: str = "127.0.0.1"
    port: int = 6379
    path: str | None = None  # a unix socket
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: ssl.SSLContext | None = None
    socket_timeout: float = DEFAULT_TIMEOUT_S
    connect_timeout: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_url(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        timeout = float(query.get("socket_timeout", DEFAULT_TIMEOUT_S))
        common: dict[str, Any] = {
            "username": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "db": int(query.get("db", 0)),
            "socket_timeout": timeout,
            "connect_timeout": float(query.get("socket_connect_timeout", timeout)),
        }
        if parts.scheme == "unix":
            return cls(path=unquote(parts.path), **common)
        db = parts.path.strip("/")
        if db:
            common["db"] = int(db)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            tls=_tls_context(query) if parts.scheme == "rediss" else None,
            **common,
        )

    def handshake(self) -> list[tuple[Any, ...]]:
        """What a new connection says first. The PING's answer says the server is ready:
        one still loading its data answers LOADING, and the connection is tried again."""
        said: list[tuple[Any, ...]] = []
        if self.password is not None:
            who = (self.username,) if self.username else ()
            said.append(("AUTH", *who, self.password))
        if self.db:
            said.append(("SELECT", self.db))
        said.append(("PING",))
        return said


def _tls_context(query: dict[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=query.get("ssl_ca_certs"))
    if "ssl_certfile" in query:
        context.load_cert_chain(query["ssl_certfile"], query.get("ssl_keyfile"))
    reqs = query.get("ssl_cert_reqs", "required").lower()
    check = query.get("ssl_check_hostname", "true" if reqs == "required" else "false")
    context.check_hostname = check.lower() in ("1", "true", "yes")
    context.verify_mode = {
        "none": ssl.CERT_NONE,
        "optional": ssl.CERT_OPTIONAL,
        "required": ssl.CERT_REQUIRED,
    }[reqs]
    return context


def reply_error(message: str) -> redis.ResponseError:
    """An error answer as the exception redis-py would raise for it."""
    if message.startswith("NOSCRIPT"):
        return NoScriptError(message)
    if message.startswith(("WRONGPASS", "NOAUTH")) or "invalid password" in message:
        return redis.AuthenticationError(message)  # type: ignore[return-value]
    if message.startswith("LOADING"):
        return BusyLoadingError(message)  # type: ignore[return-value]
    return redis.ResponseError(message.removeprefix("ERR "))


@dataclass(eq=False)
class _Command:
    args: tuple[Any, ...] | bytes  # bytes: the command already in Redis's wire form
    future: asyncio.Future[Any]
    safe: bool
    attempt: int = 0
    sent_at: float = 0.0  # the loop's time when it was written


class _Link(asyncio.Protocol):
    """One connection: each answer parsed from what arrives goes to the multiplexer."""

    def __init__(self, owner: Multiplexer) -> None:
        self.owner = owner
        self.transport: asyncio.Transport | None = None
        self.reader = hiredis.Reader(
            replyError=reply_error, encoding="utf-8", errors="replace", notEnoughData=_SHORT
        )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio's, but do what they do.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        try:
            while (answer := self.reader.gets()) is not _SHORT:
                self.owner._answer(self, answer)
        except (hiredis.ProtocolError, redis.ConnectionError) as exc:
            self.owner._broken(self, redis.ConnectionError(f"Redis's answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._broken(self, exc or redis.ConnectionError("Redis closed the connection"))

    @property
    def live(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()


class Multiplexer:
    """One connection shared by every caller, commands pipelined in arrival order.

    >>> mux = Multiplexer(Endpoint.from_url("unix:///run/redis.sock"))
    >>> await mux.execute("EVALSHA", sha, 1, key, "0")
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        attempts: int = 9,
        backoff_base: float = 0.05,
        backoff_cap: float = 1.0,
    ) -> None:
        self.endpoint = endpoint
        self._attempts = attempts
        self._backoff = (backoff_base, backoff_cap)
        self._outbox: list[_Command] = []
        self._inflight: deque[_Command] = deque()
        self._link: _Link | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._flush_scheduled = False
        self._closed = False
        self._watchdog: asyncio.TimerHandle | None = None

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
        task, self._connecting = self._connecting, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        error = redis.ConnectionError("the Redis multiplexer is closed")
        for c in (*self._inflight, *self._outbox):
            _fail(c, error)
        self._inflight.clear()
        self._outbox.clear()
        link, self._link = self._link, None
        if link is not None and link.transport is not None:
            link.transport.close()

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
        if self._connecting is not None and not self._connecting.done():
            return  # the connecting task sends the outbox when it has a connection
        if self._link is not None and self._link.live:
            self._send(self._link)
        else:
            self._connecting = asyncio.create_task(self._connect_loop(), name="redis-connect")

    async def _connect_loop(self) -> None:
        while self._outbox and not self._closed:
            try:
                link = await self._open()
            except (redis.ResponseError, redis.AuthenticationError) as exc:  # a wrong password
                for c in self._outbox:
                    _fail(c, exc)
                self._outbox.clear()
                return
            except RETRY_ON as exc:
                await self._connect_failed(exc)
                continue
            self._send(link)
            return

    async def _open(self) -> _Link:
        """A new connection, past its handshake."""
        ep = self.endpoint
        loop = asyncio.get_running_loop()
        link = _Link(self)
        try:
            async with asyncio.timeout(ep.connect_timeout):
                if ep.path is not None:
                    await loop.create_unix_connection(lambda: link, ep.path)
                else:
                    await loop.create_connection(lambda: link, ep.host, ep.port, ssl=ep.tls)
        except TimeoutError:
            raise redis.TimeoutError(
                f"no connection to Redis in {ep.connect_timeout:g} s"
            ) from None
        self._link = link
        said = [_Command(args, loop.create_future(), safe=False) for args in ep.handshake()]
        self._write(link, said)
        try:
            # The watchdog breaks the connection if the server does not answer.
            for c in said:
                await c.future
        except BaseException:
            self._broken(link, redis.ConnectionError("the handshake failed"))
            raise
        return link

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

    def _send(self, link: _Link) -> None:
        batch, self._outbox = self._outbox, []
        self._write(link, batch)

    def _write(self, link: _Link, batch: list[_Command]) -> None:
        packed: list[bytes] = []
        now = asyncio.get_running_loop().time()
        for c in batch:
            if c.future.done():  # its caller gave up before it was sent
                continue
            if isinstance(c.args, bytes):
                packed.append(c.args)
            else:
                try:
                    packed.append(hiredis.pack_command(c.args))
                except TypeError as error:  # an argument Redis cannot take (None, a list)
                    c.future.set_exception(redis.DataError(f"{c.args[0]}: {error}"))
                    continue
            c.sent_at = now
            self._inflight.append(c)
        if not packed:
            return
        if not link.live or link.transport is None:
            self._broken(link, redis.ConnectionError("the connection was closed"))
            return
        # No drain: the commands in flight are bounded by the callers waiting for them.
        link.transport.writelines(packed)
        self._arm_watchdog(link)

    # Answers: one per command in flight, in order.

    def _answer(self, link: _Link, answer: Any) -> None:
        if link is not self._link:
            return
        if not self._inflight:
            raise redis.ConnectionError("Redis sent an answer nobody asked for")
        command = self._inflight.popleft()
        if command.future.done():
            return
        if isinstance(answer, redis.RedisError):
            command.future.set_exception(answer)
        else:
            command.future.set_result(answer)

    def _arm_watchdog(self, link: _Link) -> None:
        """When the oldest command in flight has waited `socket_timeout` for its answer,
        the connection is taken as dead (a hung server or network). One timer at a time,
        set for the oldest command's deadline."""
        if self._watchdog is not None or not self._inflight:
            return
        timeout = self.endpoint.socket_timeout
        loop = asyncio.get_running_loop()

        def check() -> None:
            self._watchdog = None
            if self._link is not link or not self._inflight:
                return
            left = timeout - (loop.time() - self._inflight[0].sent_at)
            if left <= 0:
                self._broken(link, redis.TimeoutError(f"Redis did not answer in {timeout:g} s"))
            else:
                self._watchdog = loop.call_later(left, check)

        check()

    def _broken(self, link: _Link, exc: BaseException) -> None:
        """The connection failed: commands in flight are answered with the error unless
        they are safe to send again; those and the unsent ones go out on a new one."""
        if self._link is not link:
            return
        if not self._closed:
            log.warning("Redis connection lost (%s); reconnecting", exc)
        self._link = None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if link.transport is not None:
            link.transport.abort()
        again: list[_Command] = []
        while self._inflight:
            c = self._inflight.popleft()
            c.attempt += 1
            if c.safe and c.attempt < self._attempts:
                again.append(c)
            else:
                _fail(c, exc)
        self._outbox[:0] = again
        if self._outbox and not self._closed:
            self._schedule_flush()


def _fail(command: _Command, exc: BaseException) -> None:
    if not command.future.done():
        if not isinstance(exc, redis.RedisError):
            exc = redis.ConnectionError(str(exc))
        command.future.set_exception(exc)


class MultiplexedRedis(aredis.Redis):
    """redis-py's asyncio client, every command of it as redis-py sends it, with a
    `Multiplexer` to the same server beside it for the calls made on every ticket (scripts
    and the hub's quick stream reads: `store/scripts.py`, `store/streams.py`)."""

    endpoint: Endpoint | None = None
    _mux: Multiplexer | None = None

    def multiplexer(self) -> Multiplexer:
        if self._mux is None:
            if self.endpoint is None:
                raise redis.ConnectionError("this client has no endpoint to multiplex to")
            self._mux = Multiplexer(self.endpoint)
        return self._mux

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        if self._mux is not None:
            mux, self._mux = self._mux, None
            await mux.aclose()
        await super().aclose(close_connection_pool)
