"""Reading an office's event stream back (`keys.events`), page by page: the audit log is the
source of the counts that need no counters of their own."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import redis.asyncio as aredis

from queue_server.store import keys

PAGE = 1000


class EventLog:
    def __init__(self, client: aredis.Redis) -> None:
        # Typed loosely: the client decodes responses to str, which its stubs cannot say.
        self.r: Any = client

    async def since(
        self, slug: str, start_ms: int, types: Collection[str]
    ) -> list[tuple[str, dict[str, Any]]]:
        """(type, data) of the office's events of the given types appended from `start_ms`
        on, in order (stream ids are the milliseconds at which Redis appended them). Only
        the events kept are decoded."""
        out: list[tuple[str, dict[str, Any]]] = []
        low = f"{start_ms}-0"
        while True:
            page = await self.r.xrange(keys.events(slug), min=low, count=PAGE)
            for _eid, fields in page:
                etype = fields.get("type", "")
                if etype in types:
                    data = json.loads(fields.get("data") or "{}")
                    if isinstance(data, dict):
                        out.append((etype, data))
            if len(page) < PAGE:
                return out
            low = f"({page[-1][0]}"
