"""The version of the shape of the data in Redis, one key for the deployment
(`services/migrations.py` reads it at start and moves it after each migration)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import redis.asyncio as aredis

from queue_server.errors import DataNotUnderstood
from queue_server.store import keys
from queue_server.store.scripts import _source


class SchemaStore:
    def __init__(self, client: aredis.Redis) -> None:
        self.r: Any = client
        self._stamp = client.register_script(_source("schema_stamp"))

    async def version(self) -> int | None:
        """The stored version; None when the data has none (a fresh install, or data
        written before versions were stored)."""
        raw = await self.r.get(keys.schema())
        if raw is None:
            return None
        if not str(raw).isdigit() or int(raw) < 1:
            raise DataNotUnderstood(
                f"the data's schema version in Redis (key {keys.schema()}) is {raw!r}, not "
                "a whole number from 1: something other than sothutu wrote that key. Put "
                "back the version the data was written with (docs/operations.md, Upgrades)."
            )
        return int(raw)

    async def has_data(self, offices: Iterable[str]) -> bool:
        """Whether anything an earlier sothutu wrote is there: people, devices, the list
        of offices, or an office's events or day."""
        found = [keys.users(), keys.devices(), keys.office_list()]
        for slug in offices:
            found += [keys.events(slug), keys.current_day(slug)]
        # One key a command: on a cluster they lie in different slots.
        for key in found:
            if await self.r.exists(key):
                return True
        return False

    async def stamp(self, read: int | None, new: int) -> bool:
        """Sets the version to `new` if it is still `read`; False if another process moved
        it first."""
        answer = await self._stamp(
            keys=[keys.schema()], args=["" if read is None else str(read), str(new)]
        )
        return bool(answer)
