"""The offices as they are now: config.toml, overridden by managers' saved changes.

A manager's change is validated by the same parser as the file, stored in Redis with an
`office.config_changed` event, and picked up by every server process from the office's
stream of changes, so kiosks, boards and counters see it without a restart. `export_toml`
writes the whole configuration back out; the server starts from that file with the same
behaviour.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
import tomllib
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aredis
import tomli_w
from redis.typing import EncodableT, FieldT

from queue_server.config import Config, parse_office
from queue_server.errors import BadRequest, ConfigError, NotFound
from queue_server.office import Office
from queue_server.store import keys

# A process that was away longer than this many changes takes them all from the office's
# saved settings anyway (`refresh` reads the whole table): the stream only wakes it.
CHANGES_KEPT = 100


class OfficeRegistry:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._offices: dict[str, Office] = {o.slug: o for o in config.offices}

    def get(self, slug: str) -> Office | None:
        return self._offices.get(slug)

    def all(self) -> tuple[Office, ...]:
        return tuple(self._offices.values())

    async def load(self, client: aredis.Redis) -> None:
        """Apply the changes managers saved earlier (at start-up)."""
        for slug in list(self._offices):
            await self.refresh(client, slug)

    async def refresh(self, client: aredis.Redis, slug: str) -> None:
        raw = await client.get(keys.office_config(slug))
        if raw and slug in self._offices:
            table = _restore(json.loads(raw))
            self._offices[slug] = parse_office(table, f"saved settings of {slug}")

    async def update(
        self, client: aredis.Redis, slug: str, table: Mapping[str, Any], by: str
    ) -> Office:
        """Validate and save a new table for an office; nothing is saved if it is invalid."""
        if slug not in self._offices:
            raise NotFound(f"no office {slug!r}", vi=f"Không có đơn vị {slug!r}.")
        if table.get("slug") != slug:
            raise BadRequest("the office's slug cannot change", vi="Không được đổi mã đơn vị.")
        try:
            office = parse_office(table, "office")
            # The stored form must survive TOML (export) as well as JSON (Redis).
            tomli_w.dumps(dict(table))
        except ConfigError as exc:
            # The key (``office.fields[1].prefix``) says which value, and so which input of
            # the console's form, is wrong.
            raise BadRequest(
                f"{exc.key}: {exc.reason}",
                vi=f"{exc.key}: {exc.reason}",
                details={"key": exc.key, "reason": exc.reason},
            ) from exc
        except (TypeError, ValueError) as exc:
            raise BadRequest(f"cannot be saved: {exc}") from exc
        stored = json.dumps(_jsonable(dict(table)), ensure_ascii=False)
        at = int(time.time() * 1000)
        event: dict[FieldT, EncodableT] = {
            "type": "office.config_changed",
            "data": json.dumps({"by": by, "at": at}),
        }
        async with client.pipeline(transaction=True) as p:
            p.set(keys.office_config(slug), stored)
            # Every server process follows the short stream of changes; the office's own
            # stream is the audit log and what its screens follow (web/hub.py). Changes
            # first: a blocked read wakes with the stream written first, and a process
            # applies the change before its screens hear of it.
            p.xadd(keys.changes(slug), event, maxlen=CHANGES_KEPT, approximate=True)
            p.xadd(keys.events(slug), event, maxlen=1_000_000, approximate=True)
            await p.execute()
        self._offices[slug] = office
        return office

    def export_toml(self) -> str:
        """The whole configuration with every office as it is now."""
        with self.config.path.open("rb") as f:
            data = tomllib.load(f)
        data["offices"] = [copy.deepcopy(dict(o.raw)) for o in self._offices.values()]
        return tomli_w.dumps(data)


# TOML dates and times travel through JSON (Redis) tagged, and come back as themselves.
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
