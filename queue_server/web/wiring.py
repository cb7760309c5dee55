"""The composition root: every service built once, at start, and the one way a handler
reaches them (`services(request)`). Only this module builds stores around the Redis
client; handlers ask services."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from display import voice
from queue_server.config import Config
from queue_server.errors import DataNotUnderstood
from queue_server.rules.calendar import statutory_holidays
from queue_server.services.appointments import AppointmentService
from queue_server.services.auth import AuthService
from queue_server.services.clock import Clock
from queue_server.services.counter_stats import CounterStats
from queue_server.services.hub import Hub
from queue_server.services.migrations import Deployment, migrate, warn_unbound
from queue_server.services.notify import OutboxSender, adapter_from_url
from queue_server.services.office_list import LiveOffices
from queue_server.services.offices import OfficeRegistry
from queue_server.services.printing import PrintService, ServerDrivers
from queue_server.services.province import ProvinceFeed, ProvinceService
from queue_server.services.queue import QueueService
from queue_server.services.ratings import RatingService
from queue_server.services.reports import ReportsService
from queue_server.services.scheduler import Jobs, Scheduler
from queue_server.store.accounts import Accounts
from queue_server.store.aggregates import AggregateStore
from queue_server.store.bookings import BookingStore
from queue_server.store.connection import RedisHandle
from queue_server.store.events import EventLog
from queue_server.store.offices import OfficeList, OfficeSettings
from queue_server.store.outbox import Outbox
from queue_server.store.printjobs import PrintJobs
from queue_server.store.queue import Event, QueueStore
from queue_server.store.ratings import RatingStore
from queue_server.store.schedule import SchedulerLock, ScheduleStore
from queue_server.store.schema import SchemaStore
from queue_server.store.scripts import ReplicaAck

log = logging.getLogger("sothutu")

Lifespan = Callable[[Starlette], contextlib.AbstractAsyncContextManager[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Services:
    """What the handlers use, one of each per process."""

    config: Config
    offices: OfficeRegistry
    live: LiveOffices
    queue: QueueService
    auth: AuthService
    hub: Hub
    printing: PrintService
    appointments: AppointmentService
    ratings: RatingService
    reports: ReportsService
    counter_stats: CounterStats
    province: ProvinceService
    province_feed: ProvinceFeed


@dataclass(slots=True)
class Readiness:
    """What `/readyz` (web/probes.py) knows beyond a Redis that answers now: set by the
    lifespan as start-up goes, and at the first signal to stop (web/server.py `Server`)."""

    scripts: bool = False  # every Lua script loaded once (SCRIPT LOAD)
    offices: bool = False  # the offices read from Redis and followed
    shutting_down: bool = False


def services(conn: HTTPConnection | Starlette) -> Services:
    """The process's services, for a request, a socket, or the app itself."""
    app = conn if isinstance(conn, Starlette) else conn.app
    found: Services = app.state.services
    return found


async def freeze_long_lived(settle_s: float = 10.0) -> None:
    """Moves what start-up built (modules, config, templates, calendars, voice clips) out of
    the garbage collector's way, at once and again when the lazy start-up work has settled.
    They live as long as the process, yet every full collection under load would walk them
    all again: a pause of the event loop long enough to set the p99 of issuing a ticket
    (docs/BENCHMARKS.md, session 2). Frozen objects are still freed by reference counting;
    only cycles among them stay."""
    for delay in (0.0, settle_s):
        await asyncio.sleep(delay)
        gc.collect()
        gc.freeze()


async def upgrade_data(
    app: Starlette, handle: RedisHandle, schema: SchemaStore, auth: AuthService, config: Config
) -> None:
    """Brings older data to this code's shape before anything reads it; data of a newer
    sothutu stops the start (`serve` says why: `app.state.refusal`)."""
    deployment = Deployment(auth, [o.slug for o in config.offices], str(config.path))
    try:
        await migrate(schema, deployment)
    except DataNotUnderstood as exc:
        app.state.refusal = exc
        await handle.stop()
        raise
    await warn_unbound(auth)


def lifespan(config: Config, clock: Clock | None = None) -> Lifespan:
    @contextlib.asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        warning = config.server.address_warning(str(config.path))
        if warning:
            log.warning("%s", warning)
        ready = app.state.readiness = Readiness()
        handle = RedisHandle(config.redis, config.server.data_dir)
        client = await handle.start()
        acks = config.redis.replicas_ack
        store = QueueStore(
            client, ReplicaAck(acks, config.redis.replica_ack_timeout_ms) if acks else None
        )
        auth = AuthService(Accounts(client))
        await upgrade_data(app, handle, SchemaStore(client), auth, config)
        await store.load_scripts()
        ready.scripts = True
        offices = OfficeRegistry(config, OfficeSettings(client), OfficeList(client))
        await offices.load()
        queue = QueueService(config, store, clock, offices)

        async def reload_office(event: Event) -> None:
            await offices.refresh(event.office)
            office = offices.get(event.office)
            if office is not None:  # counters may serve other fields now
                await store.sync_open_counters(office)

        hub = Hub(store)
        hub.listen("office.config_changed", reload_office)
        supervisor = asyncio.create_task(handle.supervise(), name="sothutu-redis-supervisor")
        printing = PrintService(config, PrintJobs(client), queue, clock)
        # One task per network printer; across processes a Redis lock picks the one driving.
        # They follow the offices as managers change them (after the registry reloaded).
        drivers = ServerDrivers(printing)
        hub.listen("office.config_changed", drivers.on_event)
        drivers.sync()
        appointments = AppointmentService(config, BookingStore(client), queue, clock, people=auth)
        reports = ReportsService(offices, AggregateStore(client), queue.clock)
        outbox = OutboxSender(Outbox(client), adapter_from_url(config.notify_url))
        jobs = Jobs(config, appointments, outbox, ScheduleStore(client), reports)
        # Every office's changes followed, its counters synced and its day started (and
        # the offices admins add, close or reopen from now on).
        live = LiveOffices(offices, queue, hub, jobs, drivers)
        await live.start()
        ready.offices = True
        # Whether this process runs the scheduler or not, the gate is right from the first
        # request: the scheduler moves it only when a boundary passes.
        await jobs.sync_gates(queue.clock.now_ms())

        async def follow_calendar(event: Event) -> None:
            if offices.get(event.office) is not None:  # a closed office has no gate to move
                await jobs.follow_change(event.office, queue.clock.now_ms())

        hub.listen("office.config_changed", follow_calendar)  # after reload_office
        province = ProvinceService(offices, queue, reports)
        province_feed = ProvinceFeed(province, hub)
        # The raw client for the test harness (it opens the walk-in gate without an event);
        # no handler uses it.
        app.state.redis = client
        app.state.services = Services(
            config=config,
            offices=offices,
            live=live,
            queue=queue,
            auth=auth,
            hub=hub,
            printing=printing,
            appointments=appointments,
            ratings=RatingService(queue, RatingStore(client)),
            reports=reports,
            counter_stats=CounterStats(EventLog(client), queue.clock),
            province=province,
            province_feed=province_feed,
        )
        scheduler = Scheduler(SchedulerLock(client), jobs, queue.clock)
        scheduler.start()
        # Boards show calls while the clips are still being built; only the voice waits.
        clips = asyncio.create_task(
            voice.build_default_clips(config.server.data_dir), name="sothutu-voice-clips"
        )
        # The holidays package imports every country's module on first use, a stall of the
        # event loop (docs/BENCHMARKS.md, session 2): take it now, before serving, rather
        # than in the middle of a busy morning, and before the heap is frozen.
        this_year = datetime.now().year
        for year in (this_year, this_year + 1):
            statutory_holidays(year)
        freezer = asyncio.create_task(freeze_long_lived(), name="sothutu-gc-freeze")
        try:
            yield {}
        finally:
            ready.shutting_down = True
            freezer.cancel()
            await scheduler.stop()
            await drivers.close()
            clips.cancel()
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await clips
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
            await province_feed.close()
            await hub.close()
            await handle.stop()

    return run
