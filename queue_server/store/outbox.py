"""The notification outbox: a stream per office (`keys.outbox`) that the booking scripts add
reminders to, read through one consumer group, so that a message is acknowledged only once
sent and a crash between the two leaves it pending for the next reader."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aredis

from queue_server.store import keys

GROUP = "notify"

# (stream id, fields); the fields are empty for an entry trimmed after it was read.
Entry = tuple[str, dict[str, str]]


class Outbox:
    def __init__(self, client: aredis.Redis) -> None:
        # Typed loosely: the client decodes responses to str, which its stubs cannot say.
        self.r: Any = client

    async def ensure_group(self, slug: str) -> None:
        """Creates the office's stream and its consumer group, if not there yet."""
        try:
            await self.r.xgroup_create(keys.outbox(slug), GROUP, id="0", mkstream=True)
        except aredis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, slug: str, consumer: str, *, pending: bool, count: int) -> list[Entry]:
        """Up to `count` messages for `consumer`: those it read before and did not
        acknowledge (`pending`), else new ones."""
        stream = keys.outbox(slug)
        reply = await self.r.xreadgroup(
            GROUP, consumer, {stream: "0" if pending else ">"}, count=count
        )
        return [(eid, fields or {}) for _, entries in reply for eid, fields in entries]

    async def ack(self, slug: str, entry_id: str) -> None:
        await self.r.xack(keys.outbox(slug), GROUP, entry_id)
