"""The Lua scripts, each prefixed with the shared prelude, and how their answers are read."""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson
import redis.asyncio as aredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from queue_server.errors import Conflict, NotFound, RangeExhausted, SothutuError
from queue_server.store.multiplex import MultiplexedRedis

NAMES = ("issue", "call", "step", "requeue", "counter", "rollover")


class Moved(SothutuError):
    """The ticket a counter chose was taken or moved meanwhile; choose again."""

    code = "moved"


def _source(name: str) -> str:
    return (resources.files("queue_server.store") / "lua" / f"{name}.lua").read_text("utf-8")


class Scripts:
    """EVALSHA, loading the script again when Redis answers NOSCRIPT (a restarted Redis has
    an empty script cache). A script run under an idempotency key (KEYS[1], ARGV[1] = '1')
    may be sent again through a broken connection: its second run answers the first's."""

    def __init__(self, client: aredis.Redis) -> None:
        prelude = _source("prelude")
        self.client: Any = client  # redis-py's execute_command is untyped
        # EVALSHA has no reply callback: on one server, straight to the multiplexer.
        self._mux = client.multiplexer() if isinstance(client, MultiplexedRedis) else None
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script(prelude + "\n" + _source(name)) for name in NAMES
        }

    async def run(self, name: str, keys: list[str], args: list[Any]) -> dict[str, Any]:
        script = self._scripts[name]
        try:
            raw = await self._evalsha(script.sha, keys, args)
        except NoScriptError:
            script.sha = await self.client.script_load(script.script)
            raw = await self._evalsha(script.sha, keys, args)
        result: dict[str, Any] = orjson.loads(raw)
        err = result.get("err")
        if err is not None:
            raise _error(err, result)
        return result

    async def _evalsha(self, sha: str, keys: list[str], args: list[Any]) -> Any:
        if self._mux is None:
            return await self.client.execute_command("EVALSHA", sha, len(keys), *keys, *args)
        safe = args[:1] == ["1"]  # under an idempotency key: a second run answers the first's
        return await self._mux.execute("EVALSHA", sha, len(keys), *keys, *args, safe=safe)


_MESSAGES_VI = {
    "not_found": "Không tìm thấy số thứ tự này.",
    "numbers_exhausted": "Đã hết số thứ tự của lĩnh vực này trong hôm nay.",
    "invalid_state": "Không thể thực hiện với số thứ tự ở trạng thái hiện tại.",
    "counter_not_open": "Quầy chưa mở. Hãy mở quầy trước khi gọi số.",
    "counter_busy": "Quầy đang phục vụ một số khác. Hãy kết thúc số đó trước.",
    "walk_in_closed": "Đã hết giờ lấy số hôm nay. Các số đã cấp vẫn được phục vụ. Mời quay"
    " lại vào ngày làm việc tiếp theo.",
}


def _error(code: str, result: dict[str, Any]) -> SothutuError:
    message = str(result.get("message", code))
    vi = _MESSAGES_VI.get(code)
    if code == "moved":
        return Moved(message)
    if code == "not_found":
        return NotFound(message, vi=vi)
    if code == "numbers_exhausted":
        return RangeExhausted(
            f"{message} (last number {result.get('last')}); the counter of numbers restarts"
            " tomorrow",
            vi=vi,
        )
    return Conflict(message, vi=vi, code=code)
