"""The Lua scripts, each prefixed with the shared prelude, and how their answers are read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import hiredis
import orjson
import redis
import redis.asyncio as aredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from queue_server.errors import (
    Conflict,
    Localized,
    NotFound,
    RangeExhausted,
    SothutuError,
    Text,
    Unavailable,
)
from queue_server.store.multiplex import MultiplexedRedis
from queue_server.store.sentinel import SentinelRedis

NAMES = ("issue", "call", "step", "requeue", "counter", "rollover", "open_sets")


class Moved(SothutuError):
    """The ticket a counter chose was taken or moved meanwhile; choose again."""

    code = "moved"


Arg = str | int | bytes


@dataclass(frozen=True)
class ReplicaAck:
    """Answer a script only once `count` replicas have what it wrote: `WAIT count
    timeout_ms` on the connection that ran it (WAIT counts that connection's writes), or
    503 if fewer confirm in time; the change may then still be there, as after any 503."""

    count: int
    timeout_ms: int

    def args(self) -> tuple[str, int, int]:
        return ("WAIT", self.count, self.timeout_ms)

    def check(self, confirmed: int) -> None:
        if confirmed < self.count:
            raise Unavailable(
                f"{confirmed} of {self.count} replicas confirmed the change in "
                f"{self.timeout_ms} ms",
                text_key="error.unavailable_replicas",
            )


# Up to ~5 s of a sentinel failover in progress.
DEMOTED_ATTEMPTS = 9


def demoted(error: redis.ResponseError) -> bool:
    """A write refused by a replica: READONLY, or a script's error that carries it."""
    return isinstance(error, redis.ReadOnlyError) or "READONLY You can't write" in str(error)


def _consume(future: asyncio.Future[Any]) -> None:
    # The WAIT after a script that failed is not awaited: its outcome is dropped.
    if not future.cancelled():
        future.exception()


class Template:
    """A script's keys and arguments that are the same from call to call (the keys of a
    field's queues, its number range), encoded in Redis's wire form once and kept; each
    call adds its own before them: `[*own keys, *fixed keys]`, `[*own args, *fixed args]`.
    hiredis formats every argument afresh with sprintf on every call, and issue.lua, which
    every ticket runs, has many (docs/BENCHMARKS.md, session 4)."""

    __slots__ = ("_args", "_keys", "fixed_args", "fixed_keys")

    def __init__(self, fixed_keys: tuple[Arg, ...], fixed_args: tuple[Arg, ...]) -> None:
        self.fixed_keys = fixed_keys
        self.fixed_args = fixed_args
        self._keys = _bulks(fixed_keys)
        self._args = _bulks(fixed_args)

    def wire(self, sha: str, keys: tuple[Arg, ...], args: tuple[Arg, ...]) -> bytes:
        """EVALSHA in wire form."""
        nkeys = len(keys) + len(self.fixed_keys)
        count = 3 + nkeys + len(args) + len(self.fixed_args)
        head = b"*%d\r\n$7\r\nEVALSHA\r\n$%d\r\n%s\r\n" % (count, len(sha), sha.encode())
        return b"".join((head, _bulks((nkeys, *keys)), self._keys, _bulks(args), self._args))

    def plain(self, keys: tuple[Arg, ...], args: tuple[Arg, ...]) -> tuple[list[Arg], list[Arg]]:
        """The whole keys and arguments, as `Scripts.run` takes them."""
        return [*keys, *self.fixed_keys], [*args, *self.fixed_args]


def _bulks(values: tuple[Arg, ...]) -> bytes:
    """The RESP bulk strings of `values`, without the array header."""
    if not values:
        return b""
    try:
        # hiredis's stub types the argument as a tuple of exactly one value; any length works.
        packed: bytes = hiredis.pack_command(values)  # type: ignore[arg-type]
    except TypeError as error:  # an argument Redis cannot take (None, a list)
        raise redis.DataError(f"script argument: {error}") from None
    return packed[packed.index(b"\n") + 1 :]


def _source(name: str) -> str:
    return (resources.files("queue_server.store") / "lua" / f"{name}.lua").read_text("utf-8")


class Scripts:
    """EVALSHA, loading the script again when Redis answers NOSCRIPT (a restarted Redis has
    an empty script cache). A script run under an idempotency key (KEYS[1], ARGV[1] = '1')
    may be sent again through a broken connection: its second run answers the first's.
    With `replicas`, a script's answer waits for them (`ReplicaAck`)."""

    def __init__(self, client: aredis.Redis, replicas: ReplicaAck | None = None) -> None:
        prelude = _source("prelude")
        self.client: Any = client  # redis-py's execute_command is untyped
        self.replicas = replicas
        # hiredis's stub types the argument as a tuple of exactly one value; any length works.
        wait = replicas.args() if replicas else ()
        self._wait_wire = hiredis.pack_command(wait) if wait else b""  # type: ignore[arg-type]
        # EVALSHA has no reply callback: on one server, straight to the multiplexer.
        self._mux = client.multiplexer() if isinstance(client, MultiplexedRedis) else None
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script(prelude + "\n" + _source(name)) for name in NAMES
        }

    async def load(self) -> None:
        """Every script in Redis's script cache: at start, and again for readiness, since a
        restarted Redis has an empty cache. Running them never needs this (NOSCRIPT loads a
        script again); readiness says they are there. SCRIPT EXISTS first (on a cluster:
        on every primary), and SCRIPT LOAD only of the missing ones: before Redis 7 a SCRIPT
        LOAD goes to the append-only file and the replicas, scripts and all, and a probe
        asks every few seconds."""
        scripts = list(self._scripts.values())
        present = await self.client.script_exists(*(s.sha for s in scripts))
        missing = [s for s, there in zip(scripts, present, strict=True) if not there]
        loaded = await asyncio.gather(*(self.client.script_load(s.script) for s in missing))
        for script, sha in zip(missing, loaded, strict=True):
            script.sha = sha

    async def run(self, name: str, keys: Sequence[Arg], args: list[Any]) -> dict[str, Any]:
        return _result(await self._run_raw(name, keys, args))

    async def _run_raw(self, name: str, keys: Sequence[Arg], args: list[Any]) -> Any:
        script = self._scripts[name]
        for attempt in range(DEMOTED_ATTEMPTS):
            try:
                try:
                    return await self._evalsha(script.sha, keys, args)
                except NoScriptError:
                    script.sha = await self.client.script_load(script.script)
                    return await self._evalsha(script.sha, keys, args)
            except redis.ResponseError as exc:
                if not isinstance(self.client, SentinelRedis) or not demoted(exc):
                    raise
                # The node was the master when the connection was made and is a replica
                # now: it refused the script's first write, so nothing was done. Again on a
                # new connection, to the master the sentinels name (they may still be
                # naming this one for a moment).
                await self.client.master_changed()
                await asyncio.sleep(min(1.0, 0.05 * 2**attempt))
        raise Unavailable(f"no master took script {name}", text_key="error.unavailable")

    async def run_template(
        self, name: str, template: Template, keys: tuple[Arg, ...], args: tuple[Arg, ...]
    ) -> str | dict[str, Any]:
        """`run` with part of the keys and arguments in `template`, after the call's own.
        The path every ticket takes: one coroutine, no argument formatted twice. A script
        may answer a success with text other than JSON (issue.lua): that comes back as it
        is; a JSON answer as `run` reads it."""
        if self._mux is None:
            raw = await self._run_raw(name, *template.plain(keys, args))
        else:
            script = self._scripts[name]
            safe = args[0] == "1"  # under an idempotency key: see _evalsha
            try:
                raw = await self._mux_run(template.wire(script.sha, keys, args), safe)
            except NoScriptError:
                script.sha = await self.client.script_load(script.script)
                raw = await self._mux_run(template.wire(script.sha, keys, args), safe)
        return _result(raw) if raw[:1] == "{" else str(raw)

    async def _evalsha(self, sha: str, keys: Sequence[Arg], args: list[Any]) -> Any:
        command = ("EVALSHA", sha, len(keys), *keys, *args)
        if self._mux is None:
            if self.replicas is None:
                return await self.client.execute_command(*command)
            # One connection for both: WAIT counts the writes of the connection it is sent on.
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.execute_command(*command)
                pipe.execute_command(*self.replicas.args())
                raw, confirmed = await pipe.execute()
            self.replicas.check(int(confirmed))
            return raw
        safe = args[:1] == ["1"]  # under an idempotency key: a second run answers the first's
        try:
            wire = hiredis.pack_command(command)
        except TypeError as error:  # an argument Redis cannot take (None, a list)
            raise redis.DataError(f"EVALSHA: {error}") from None
        return await self._mux_run(wire, safe)

    def _mux_run(self, wire: bytes, safe: bool) -> Awaitable[Any]:
        """A script on the multiplexed connection: the future of its answer, as it is when
        no replica confirms (the path every ticket takes, no coroutine added); else its WAIT
        goes right behind it on the same connection, and the answer waits for both."""
        assert self._mux is not None
        answer = self._mux.execute_wire(wire, safe=safe)
        if self.replicas is None:
            return answer
        # Never sent again on a new connection, which has no writes to wait for: a broken
        # connection fails the call (503).
        return self._confirmed(answer, self._mux.execute_wire(self._wait_wire, safe=False))

    async def _confirmed(self, answer: Awaitable[Any], waited: asyncio.Future[Any]) -> Any:
        assert self.replicas is not None
        try:
            raw = await answer
        except BaseException:
            waited.add_done_callback(_consume)
            raise
        self.replicas.check(int(await waited))
        return raw


def _result(raw: str | bytes) -> dict[str, Any]:
    result: dict[str, Any] = orjson.loads(raw)
    err = result.get("err")
    if err is not None:
        raise _error(err, result)
    return result


# The catalogue text of a script's refusal, by its code; a code not here keeps the
# script's own English message.
_TEXT_KEYS = {
    "invalid_state": "error.ticket.invalid_state",
    "counter_not_open": "error.ticket.counter_not_open",
    "counter_busy": "error.ticket.counter_busy",
    "walk_in_closed": "error.ticket.walk_in_closed",
}


# The ticket states and actions that have words in the catalogue: `error.ticket.is.<state>`
# (a state as a clerk reads it), `error.ticket.verb.<action>` and `error.ticket.needs.<action>`
# (the states the action needs).
TICKET_STATES = ("waiting", "called", "serving", "done", "no_show", "cancelled")
TICKET_ACTIONS = ("call", "recall", "start", "finish", "no_show", "cancel", "transfer")


def ticket_state(status: str) -> Text | str:
    """A ticket's state in words; a state without words as it is."""
    return Text(f"error.ticket.is.{status}") if status in TICKET_STATES else status


def state_conflict(
    number: str, status: str, action: str, counter: str | None = None, moved: bool = False
) -> Conflict:
    """409 `invalid_state` that says the ticket's state and what the action needed."""
    known = action in TICKET_ACTIONS
    verb = Text(f"error.ticket.verb.{action}") if known else Localized("xử lý", action)
    params: dict[str, object] = {"verb": verb, "number": number}
    if counter:
        key, params["counter"] = "error.ticket.state_counter", counter
    elif moved:
        key = "error.ticket.state_moved"
    else:
        params["state"] = ticket_state(status)
        key = "error.ticket.state"
        if known:
            key, params["needs"] = "error.ticket.state_needs", Text(f"error.ticket.needs.{action}")
    return Conflict(
        f"cannot {action} ticket {number} ({status})",
        text_key=key,
        params=params,
        code="invalid_state",
    )


def _error(code: str, result: dict[str, Any]) -> SothutuError:
    message = str(result.get("message", code))
    if code == "invalid_state" and "action" in result:
        return state_conflict(
            str(result.get("number", "")), str(result.get("status", "")), str(result["action"]),
            str(result.get("counter") or "") or None, bool(result.get("moved")),
        )  # fmt: skip
    if code == "moved":
        return Moved(message)
    if code == "not_found":
        return NotFound(message, text_key="error.ticket.not_found")
    if code == "numbers_exhausted":
        last = str(result.get("last"))
        return RangeExhausted(
            f"{message} (last number {last})",
            text_key="error.ticket.numbers_exhausted", params={"last": last},
        )  # fmt: skip
    key = _TEXT_KEYS.get(code)
    conflict = Conflict(message, text_key=key, code=code)
    conflict.extra = {k: v for k, v in result.items() if k not in ("err", "message")}
    return conflict
