"""Offices' settings as managers saved them: the office's TOML table, kept as JSON in
`keys.office_config`, and the `office.config_changed` event that tells every server process.

TOML dates and times travel through JSON tagged (`{"$date": "2026-01-01"}`) and come back as
themselves, so a table read back is the one that was saved.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aredis
from redis.typing import EncodableT, FieldT

from queue_server.store import keys

CONFIG_CHANGED = "office.config_changed"
# A process that was away longer than this many changes takes them all from the office's
# saved settings anyway (`OfficeRegistry.refresh` reads the whole table): the stream only
# wakes it.
CHANGES_KEPT = 100
EVENTS_KEPT = 1_000_000


class OfficeSettings:
    def __init__(self, client: aredis.Redis) -> None:
        # Typed loosely: the client decodes responses to str, which its stubs cannot say.
        self.r: Any = client

    async def table(self, slug: str) -> dict[str, Any] | None:
        """The office's table as a manager last saved it; None if none was saved."""
        raw = await self.r.get(keys.office_config(slug))
        if not raw:
            return None
        table: dict[str, Any] = _restore(json.loads(raw))
        return table

    async def save(self, slug: str, table: Mapping[str, Any], by: str, at_ms: int) -> None:
        """Stores the table and announces the change, in one MULTI."""
        stored = json.dumps(_jsonable(dict(table)), ensure_ascii=False)
        event: dict[FieldT, EncodableT] = {
            "type": CONFIG_CHANGED,
            "data": json.dumps({"by": by, "at": at_ms}),
        }
        async with self.r.pipeline(transaction=True) as p:
            p.set(keys.office_config(slug), stored)
            # Every server process follows the short stream of changes; the office's own
            # stream is the audit log and what its screens follow (web/hub.py). Changes
            # first: a blocked read wakes with the stream written first, and a process
            # applies the change before its screens hear of it.
            p.xadd(keys.changes(slug), event, maxlen=CHANGES_KEPT, approximate=True)
            p.xadd(keys.events(slug), event, maxlen=EVENTS_KEPT, approximate=True)
            await p.execute()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    return value


def _restore(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, text),) = value.items()
            if tag == "$date":
                return dt.date.fromisoformat(text)
            if tag == "$time":
                return dt.time.fromisoformat(text)
            if tag == "$datetime":
                return dt.datetime.fromisoformat(text)
        return {k: _restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value
