"""The manager's message on the office's boards: the one up now, and setting it.

The office stream carries every change as a `board.message` event (the audit log, and what
connected boards follow); the message up now is also kept in one key, so that the snapshot
a board gets when it connects carries it however long ago it was sent.
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aredis

from queue_server.store import keys
from queue_server.store.scripts import _source

BOARD_MESSAGE = "board.message"


class BoardMessages:
    def __init__(self, client: aredis.Redis) -> None:
        self.r = client
        self._send = client.register_script(_source("prelude") + "\n" + _source("board_message"))

    async def send(self, slug: str, text: str, until_ms: int, by: str, now_ms: int) -> str:
        """Puts `text` up until `until_ms` ("" takes the message down); returns the event id."""
        raw = await self._send(
            keys=[keys.idempotency(slug, "-"), keys.board_message(slug), keys.events(slug)],
            args=["0", text, until_ms if text else 0, by, now_ms],
        )
        return str(json.loads(raw)["event"])

    async def current(self, slug: str, now_ms: int) -> dict[str, Any] | None:
        """`{text, until_ms}` of the message the boards show now, or None."""
        raw = await self.r.get(keys.board_message(slug))
        if not raw:
            return None
        kept = json.loads(raw)
        if not kept.get("text") or int(kept.get("until_ms") or 0) <= now_ms:
            return None
        return {"text": str(kept["text"]), "until_ms": int(kept["until_ms"])}
