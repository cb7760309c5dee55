"""The Lua scripts, each prefixed with the shared prelude, and how their answers are read."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import redis.asyncio as aredis
from redis.commands.core import AsyncScript

from queue_server.errors import Conflict, NotFound, RangeExhausted, SothutuError

NAMES = ("issue", "call", "step", "requeue", "counter", "rollover")


class Moved(SothutuError):
    """The ticket a counter chose was taken or moved meanwhile; choose again."""

    code = "moved"


def _source(name: str) -> str:
    return (resources.files("queue_server.store") / "lua" / f"{name}.lua").read_text("utf-8")


class Scripts:
    """EVALSHA with a fallback to loading the script, so a restarted Redis (empty script
    cache) is handled by redis-py on the next call."""

    def __init__(self, client: aredis.Redis) -> None:
        prelude = _source("prelude")
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script(prelude + "\n" + _source(name)) for name in NAMES
        }

    async def run(self, name: str, keys: list[str], args: list[Any]) -> dict[str, Any]:
        raw = await self._scripts[name](keys=keys, args=args)
        result: dict[str, Any] = json.loads(raw)
        err = result.get("err")
        if err is not None:
            raise _error(err, result)
        return result


_MESSAGES_VI = {
    "not_found": "Không tìm thấy số thứ tự này.",
    "numbers_exhausted": "Đã hết số thứ tự của lĩnh vực này trong hôm nay.",
    "invalid_state": "Không thể thực hiện với số thứ tự ở trạng thái hiện tại.",
    "counter_not_open": "Quầy chưa mở. Hãy mở quầy trước khi gọi số.",
    "counter_busy": "Quầy đang phục vụ một số khác. Hãy kết thúc số đó trước.",
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
