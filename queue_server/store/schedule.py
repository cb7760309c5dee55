"""What the scheduled jobs keep in Redis: how far each office's day transitions have run, the
nightly figures of a day, and the one lock that picks the process running the jobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis.asyncio as aredis

from queue_server.store import keys
from queue_server.store.scripts import _source

# A day's figures stay this long: a year of reports, and a margin.
REPORT_KEPT_S = 400 * 86400


class ScheduleStore:
    def __init__(self, client: aredis.Redis) -> None:
        # Typed loosely: the client decodes responses to str, which its stubs cannot say.
        self.r: Any = client

    async def last_run(self, slug: str) -> int | None:
        """The instant (ms) up to which the office's day transitions have run; None before
        the deployment's first tick."""
        raw = await self.r.get(keys.schedule_mark(slug))
        return None if raw is None else int(raw)

    async def set_last_run(self, slug: str, now_ms: int) -> None:
        await self.r.set(keys.schedule_mark(slug), now_ms)

    async def has_snapshot(self, slug: str, day: str) -> bool:
        """Whether the nightly figures of the office's day were written."""
        return bool(await self.r.hexists(keys.day_report(slug, day), "snapshot_at"))

    async def save_snapshot(self, slug: str, day: str, figures: Mapping[str, int | str]) -> None:
        """Writes the day's figures into its report hash, beside the counters the scripts
        add there, and keeps the hash for `REPORT_KEPT_S`."""
        report = keys.day_report(slug, day)
        await self.r.hset(report, mapping=dict(figures))
        await self.r.expire(report, REPORT_KEPT_S)


class SchedulerLock:
    """The deployment's one lock for running the scheduled jobs: taken with an expiry that
    its holder renews, so another process takes over within one expiry of a holder's death."""

    def __init__(self, client: aredis.Redis) -> None:
        self._take = client.register_script(_source("lock_hold"))
        self._give_up = client.register_script(_source("lock_release"))

    async def hold(self, owner: str, ttl_ms: int) -> bool:
        """Takes or renews the lock for `owner`; True while `owner` holds it."""
        return bool(await self._take(keys=[keys.scheduler_lock()], args=[owner, ttl_ms]))

    async def release(self, owner: str) -> bool:
        """Gives the lock up if `owner` still holds it."""
        return bool(await self._give_up(keys=[keys.scheduler_lock()], args=[owner]))
