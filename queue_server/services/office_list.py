"""The offices this process serves, following the deployment's list as admins change it.

An admin adds, renames, closes or reopens an office in any process (the API, the console,
the command line); the list's stream of changes (`keys.province_changes`) tells every
process, whose hub hands each change to `LiveOffices.on_change`. An added or reopened office
is then served here as an office of config.toml is from the start: its changes followed,
its open counters synced, its day started, its walk-in gate set, its network printers
driven. A closed one is served no more (its printers stop; kiosks, counters and boards get
410), but its reports stay.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from queue_server.office import Office
from queue_server.services.hub import Hub
from queue_server.services.offices import OfficeRegistry
from queue_server.services.printing import ServerDrivers
from queue_server.services.queue import QueueService
from queue_server.services.scheduler import Jobs
from queue_server.store import keys
from queue_server.store.offices import LIST_CHANGES, OfficeEntry
from queue_server.store.queue import Event

log = logging.getLogger("sothutu")


class LiveOffices:
    """>>> live = LiveOffices(offices, queue, hub, jobs, drivers)
    >>> await live.start()               # at start-up, after the registry loaded
    >>> office = await live.add(table, by="admin")   # served here at once, elsewhere soon
    """

    def __init__(
        self,
        offices: OfficeRegistry,
        queue: QueueService,
        hub: Hub,
        jobs: Jobs,
        drivers: ServerDrivers,
    ) -> None:
        self.offices = offices
        self.queue = queue
        self.hub = hub
        self.jobs = jobs
        self.drivers = drivers

    async def start(self) -> None:
        """Serves every known office (a closed one: its changes are followed, for a
        reopening), then follows the list; what changed in the list meanwhile is taken."""
        for office in self.offices.known():
            await self._serve(office.slug)
        for change in LIST_CHANGES:
            self.hub.listen(change, self.on_change)
        await self.hub.watch(keys.PROVINCE)
        for slug, entry in (await self.offices.listing.entries()).items():
            if self.offices.entry(slug) != entry:
                await self.follow(slug)

    async def on_change(self, event: Event) -> None:
        slug = str(event.data.get("office", ""))
        log.info("office %s: %s by %s", slug, event.type, event.data.get("by", "?"))
        await self.follow(slug)

    async def follow(self, slug: str) -> None:
        """The office as the list and its table say now, served here or no more. An
        office added or reopened is readied (counters, day, walk-in gate) before requests
        find it."""
        entry, office = await self.offices.read(slug)
        if entry is None or entry == self.offices.entry(slug):
            return  # nothing new (this process made the change, and followed it then)
        await self.hub.watch(slug)
        if office is not None and not entry.closed:
            await self._ready(office)
            await self.jobs.sync_gate(office, self.queue.clock.now_ms())
        self.offices.publish(entry, office)
        if entry.closed:
            self.hub.drop(slug)  # its boards and counters close; back, they hear why
        self.drivers.sync()  # a closed office's printers stop, an added one's start

    async def _serve(self, slug: str) -> None:
        await self.hub.watch(slug)
        office = self.offices.get(slug)
        if office is not None:
            await self._ready(office)

    async def _ready(self, office: Office) -> None:
        await self.queue.follow_office(office)
        expired = await self.queue.start_day(office.slug, office)
        if expired:
            log.info("%s: %d tickets of earlier days cancelled", office.slug, expired)

    # An admin's changes: made, then served by this process before the answer.

    async def add(self, table: Mapping[str, Any], by: str) -> Office:
        office = await self.offices.create(table, by, publish=False)
        await self.follow(office.slug)
        return office

    async def rename(self, slug: str, name: str | None, address: str | None, by: str) -> Office:
        # An office's own change (`office.config_changed`): every process reloads it.
        return await self.offices.rename(slug, name, address, by)

    async def close(self, slug: str, by: str) -> OfficeEntry:
        entry = await self.offices.close(slug, by, publish=False)
        await self.follow(slug)
        return entry

    async def reopen(self, slug: str, by: str) -> OfficeEntry:
        entry = await self.offices.reopen(slug, by, publish=False)
        await self.follow(slug)
        return entry
