"""Offices' settings as managers saved them: the office's TOML table, kept as JSON in
`keys.office_config`, and the `office.config_changed` event that tells every server process;
and the deployment's list of offices (`OfficeList`): which exist, open or closed, with the
`office.added` / `office.closed` / `office.reopened` events every process follows.

TOML dates and times travel through JSON tagged (`{"$date": "2026-01-01"}`) and come back as
themselves, so a table read back is the one that was saved.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as aredis
from redis.typing import EncodableT, FieldT

from queue_server.store import keys
from queue_server.store.scripts import _source

CONFIG_CHANGED = "office.config_changed"
OFFICE_ADDED = "office.added"
OFFICE_CLOSED = "office.closed"
OFFICE_REOPENED = "office.reopened"
LIST_CHANGES = (OFFICE_ADDED, OFFICE_CLOSED, OFFICE_REOPENED)
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

    async def create(self, slug: str, table: Mapping[str, Any]) -> bool:
        """Stores the table of a new office, unless one is stored under the slug already
        (False). No process reads this office before the list names it (`OfficeList`)."""
        stored = json.dumps(_jsonable(dict(table)), ensure_ascii=False)
        return bool(await self.r.set(keys.office_config(slug), stored, nx=True))

    async def forget(self, slug: str) -> None:
        """Removes a table `create` stored when the list refused the office after all."""
        await self.r.delete(keys.office_config(slug))

    async def added(self, slug: str, by: str, at_ms: int) -> None:
        """Begins the new office's event stream (its audit log) with who added it, when."""
        event = {"type": OFFICE_ADDED, "data": json.dumps({"by": by, "at": at_ms})}
        await self.r.xadd(keys.events(slug), event, maxlen=EVENTS_KEPT, approximate=True)


State = Literal["active", "closed"]


@dataclass(frozen=True)
class OfficeEntry:
    """An office in the deployment's list: open or closed, the periods it was open
    ([from ms, to ms], 0 for "still open"; a config.toml office is open from 0), and who
    made the last change, when."""

    slug: str
    state: State
    periods: tuple[tuple[int, int], ...]
    by: str = ""
    at_ms: int = 0

    @property
    def closed(self) -> bool:
        return self.state == "closed"

    def open_between(self, start_ms: int, end_ms: int) -> bool:
        """Whether the office was open at some moment of [start_ms, end_ms]: reports across
        offices take a closed office for the months it was open."""
        return any(a <= end_ms and (b == 0 or b >= start_ms) for a, b in self.periods)

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "state": self.state, "periods": [list(p) for p in self.periods],
                "by": self.by, "at": self.at_ms}  # fmt: skip

    @classmethod
    def from_json(cls, slug: str, raw: str) -> OfficeEntry:
        d = json.loads(raw)
        state: State = "closed" if d.get("state") == "closed" else "active"
        periods = tuple((int(a), int(b)) for a, b in d.get("periods") or [[0, 0]])
        return cls(slug, state, periods, str(d.get("by") or ""), int(d.get("at") or 0))


class OfficeList:
    """The deployment's offices (`keys.office_list`), each change one script with its event
    on `keys.province_changes` (lua/office_list.lua)."""

    def __init__(self, client: aredis.Redis) -> None:
        self.r: Any = client
        self._script = client.register_script(_source("office_list"))

    async def entries(self) -> dict[str, OfficeEntry]:
        raw: dict[str, str] = await self.r.hgetall(keys.office_list())
        return {slug: OfficeEntry.from_json(slug, v) for slug, v in sorted(raw.items())}

    async def entry(self, slug: str) -> OfficeEntry | None:
        raw = await self.r.hget(keys.office_list(), slug)
        return OfficeEntry.from_json(slug, raw) if raw else None

    async def seed(self, slugs: Iterable[str]) -> list[str]:
        """Adds the offices not listed yet (config.toml's, at start); returns those added.
        A listed office, closed or not, is left as it is."""
        return [s for s in slugs if await self._run("seed", s, 0, "config.toml") == "ok"]

    async def change(
        self, op: Literal["add", "close", "reopen"], slug: str, at_ms: int, by: str
    ) -> str:
        """ "ok", or why nothing changed: "exists", "missing", "closed", "active"."""
        return await self._run(op, slug, at_ms, by)

    async def _run(self, op: str, slug: str, at_ms: int, by: str) -> str:
        answer = await self._script(
            keys=[keys.office_list(), keys.province_changes()],
            args=[op, slug, at_ms, by, CHANGES_KEPT],
        )
        return str(answer)


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
