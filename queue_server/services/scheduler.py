"""Jobs the server runs on its own, and the one runner per deployment that runs them.

The jobs are plain async methods of `Jobs` taking `now_ms`, so tests call them with a given
time. `Scheduler` runs `Jobs.tick` every `interval_s` with APScheduler, on one process of the
deployment only: processes compete for a Redis lock with an expiry that the holder renews;
the others stand by and take over within one expiry when the holder dies.

Day transitions (open the day: numbering rollover and walk-in kiosk open; stop walk-ins
`walk_in_stop_minutes` before closing) are run for each boundary passed since the last tick,
recorded per office in Redis, so a restart or a change of runner neither misses nor repeats
one. The first tick of a deployment only records the time. The walk-in gate is not flipped
by the kind of boundary but set to what the calendar gives at that moment
(`rules.calendar.walk_in_gate`), and every process sets it so at start-up (`sync_gates`):
a server started at night or on a holiday refuses walk-ins from its first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from datetime import date, datetime, timedelta

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from queue_server.config import Config
from queue_server.office import Office
from queue_server.rules.calendar import Calendar, hours_on
from queue_server.rules.slots import is_no_show
from queue_server.services.appointments import AppointmentService
from queue_server.services.clock import Clock
from queue_server.services.notify import OutboxSender
from queue_server.services.reports import ReportsService
from queue_server.services.walk_ins import gate_at
from queue_server.store.errors import StoreError
from queue_server.store.schedule import SchedulerLock, ScheduleStore

log = logging.getLogger("sothutu.scheduler")
# APScheduler's own lines, under ours: its warnings (a run skipped) and errors.
_APS_LOG = logging.getLogger("sothutu.scheduler.apscheduler")
_EXECUTOR = "sothutu"
# Boundaries older than this are not replayed after a long stop: they no longer matter.
CATCH_UP = timedelta(days=2)
SNAPSHOT_HOUR = 22


class Jobs:
    def __init__(
        self,
        config: Config,
        appointments: AppointmentService,
        outbox: OutboxSender,
        marks: ScheduleStore,
        reports: ReportsService,
    ) -> None:
        self.config = config
        self.appointments = appointments
        self.queue = appointments.queue
        self.bookings = appointments.store
        self.outbox = outbox
        self.marks = marks
        self.reports = reports
        # The calendar each office's gate was last set from, to follow a manager's change of
        # hours or days off at once (other changes leave the gate alone).
        self._gate_from: dict[str, tuple[Calendar, int]] = {}

    # Offices come from the registry, so a manager's change of hours applies at the next tick.

    def _local(self, office: Office, now_ms: int) -> datetime:
        return self.appointments.local_now(office, now_ms)

    # Day transitions.

    def boundaries(
        self, office: Office, after: datetime, upto: datetime
    ) -> list[tuple[datetime, str]]:
        """(local time, "open"|"stop") boundaries in (after, upto], in time order."""
        out: list[tuple[datetime, str]] = []
        day = after.date()
        while day <= upto.date():
            sessions = hours_on(office.calendar, day)
            if sessions:
                opening = datetime.combine(day, sessions[0].start)
                closing = datetime.combine(day, sessions[-1].end)
                stop = closing - timedelta(minutes=office.walk_in_stop_minutes)
                out += [(opening, "open"), (stop, "stop")]
            day += timedelta(days=1)
        return sorted(b for b in out if after < b[0] <= upto)

    async def open_day(self, slug: str, now_ms: int) -> None:
        """Start the office day: earlier days' waiting tickets leave, the kiosk opens."""
        office = self.queue.office(slug)
        await self.queue.store.rollover(office, self.queue.day(office, now_ms), now_ms)
        await self.sync_gate(office, now_ms)

    async def stop_walk_ins(self, slug: str, now_ms: int) -> None:
        """No more walk-in tickets today; those issued are still served."""
        await self.sync_gate(self.queue.office(slug), now_ms)

    async def sync_gate(self, office: Office, now_ms: int) -> bool:
        """Sets the walk-in gate to what the calendar gives at `now_ms` (an event only when
        it changes); True when it changed."""
        self._gate_from[office.slug] = (office.calendar, office.walk_in_stop_minutes)
        gate = gate_at(office, now_ms)
        return await self.bookings.set_gate(office.slug, "open" if gate.open else "closed", now_ms)

    async def follow_change(self, slug: str, now_ms: int) -> bool:
        """After a manager's change of the office: when its hours, days off or walk-in stop
        changed (a day off added for today), the gate follows now, not at the next boundary."""
        office = self.queue.office(slug)
        if self._gate_from.get(slug) == (office.calendar, office.walk_in_stop_minutes):
            return False
        return await self.sync_gate(office, now_ms)

    async def sync_gates(self, now_ms: int) -> None:
        for office in self.queue.offices.all():
            await self.sync_gate(office, now_ms)

    async def day_transitions(self, now_ms: int) -> None:
        for office in self.queue.offices.all():
            last = await self.marks.last_run(office.slug)
            now = self._local(office, now_ms)
            if last is not None:
                after = max(self._local(office, last), now - CATCH_UP)
                for at, what in self.boundaries(office, after, now):
                    log.info("%s: %s at %s", office.slug, what, at)
                    if what == "open":
                        await self.open_day(office.slug, now_ms)
                    else:
                        await self.stop_walk_ins(office.slug, now_ms)
            await self.marks.set_last_run(office.slug, now_ms)

    # Appointments.

    async def release_no_shows(self, now_ms: int) -> int:
        """Visits not checked in within the grace time become no-shows; returns how many."""
        released = 0
        for office in self.queue.offices.all():
            grace = office.appointments.no_show_grace_minutes
            now = self._local(office, now_ms)
            overdue = self.appointments.to_ms(office, now - timedelta(minutes=grace))
            for day in (now.date() - timedelta(days=1), now.date()):
                codes = await self.bookings.day_codes(office.slug, day.isoformat(), hi=overdue)
                for b in await self.bookings.many(office.slug, codes):
                    start = self.appointments.to_local(office, b.start)
                    if b.kind == "visit" and is_no_show(start, now, grace, b.status != "booked"):
                        released += await self.bookings.no_show(b, now_ms, overdue)
        return released

    async def send_reminders(self, now_ms: int) -> int:
        """From the reminder hour on, one reminder per appointment of the next open day."""
        queued = 0
        for office in self.queue.offices.all():
            now = self._local(office, now_ms)
            if now.hour < office.appointments.reminder_hour:
                continue
            day = _next_open_day(office, now.date())
            if day is None:
                continue
            codes = await self.bookings.day_codes(office.slug, day.isoformat())
            for b in await self.bookings.many(office.slug, codes):
                at = self.appointments.to_local(office, b.start)
                if b.kind == "onsite":
                    text = (
                        f"{office.name}: cán bộ sẽ đến {b.address} lúc {at:%H:%M} ngày"
                        f" {at:%d/%m/%Y} để tiếp nhận hồ sơ, mã {b.code}."
                    )
                elif b.kind == "visit":
                    text = (
                        f"{office.name}: nhắc lịch hẹn {at:%H:%M} ngày {at:%d/%m/%Y}, mã {b.code}."
                        " Vui lòng đến trước giờ hẹn và nhập mã tại máy lấy số."
                    )
                else:
                    text = (
                        f"{office.name}: kết quả hồ sơ của ông/bà có thể nhận từ ngày"
                        f" {at:%d/%m/%Y}, mã {b.code}."
                    )
                queued += await self.bookings.remind(b, now_ms, text)
        return queued

    async def send_outbox(self, now_ms: int) -> int:
        sent = 0
        for office in self.queue.offices.all():
            sent += await self.outbox.send_pending(office.slug)
        return sent

    # Reports.

    async def snapshot_day(self, slug: str, day: str, now_ms: int) -> dict[str, int | str]:
        """The day's figures into the report hash (kept with the counters the scripts add)."""
        self.queue.office(slug)
        ids = await self.queue.store.day_ticket_ids(slug, day)
        tickets = await self.queue.store.tickets(slug, ids)
        figures: dict[str, int | str] = {"tickets": len(tickets)}
        for t in tickets:
            for name in (f"status:{t.status}", f"field:{t.field}", f"class:{t.klass}"):
                figures[name] = int(figures.get(name, 0)) + 1
        codes = await self.bookings.day_codes(slug, day)
        for b in await self.bookings.many(slug, codes):
            name = f"{b.kind}:{b.status}"
            figures[name] = int(figures.get(name, 0)) + 1
        figures["snapshot_at"] = now_ms
        await self.marks.save_snapshot(slug, day, figures)
        return figures

    async def nightly_snapshot(self, now_ms: int) -> int:
        """From SNAPSHOT_HOUR, each office's day once: a snapshot reads every ticket of the
        day, a stall of the event loop that grows with the day, which taken at every tick
        until midnight would slow every request of the evening (docs/BENCHMARKS.md,
        session 5)."""
        done = 0
        for office in self.queue.offices.all():
            now = self._local(office, now_ms)
            if now.hour < SNAPSHOT_HOUR:
                continue
            day = now.date().isoformat()
            if await self.marks.has_snapshot(office.slug, day):
                continue
            await self.snapshot_day(office.slug, day, now_ms)
            done += 1
        return done

    async def tick(self, now_ms: int) -> None:
        await self.day_transitions(now_ms)
        await self.release_no_shows(now_ms)
        await self.send_reminders(now_ms)
        await self.send_outbox(now_ms)
        await self.nightly_snapshot(now_ms)
        await self.aggregate_days(now_ms)

    async def aggregate_days(self, now_ms: int) -> int:
        """Report aggregates of the last closed days that have none yet (after midnight:
        yesterday); a few MGETs when there is nothing to do."""
        return await self.reports.close_days(now_ms)


def _next_open_day(office: Office, today: date) -> date | None:
    for offset in range(1, 15):
        day = today + timedelta(days=offset)
        if hours_on(office.calendar, day):
            return day
    return None


class Scheduler:
    """Runs `jobs.tick` every `interval_s` on the process that holds the lock."""

    def __init__(
        self, lock: SchedulerLock, jobs: Jobs, clock: Clock, interval_s: float = 30.0,
        lock_ttl_s: float = 90.0,
    ) -> None:  # fmt: skip
        self.lock = lock
        self.jobs = jobs
        self.clock = clock
        self.interval_s = interval_s
        self.lock_ttl_ms = int(lock_ttl_s * 1000)
        self.owner = secrets.token_hex(8)
        self._aps = AsyncIOScheduler(logger=_APS_LOG)

    async def leader(self) -> bool:
        """Takes or renews the deployment's lock; True while this process holds it."""
        return await self.lock.hold(self.owner, self.lock_ttl_ms)

    async def run_once(self) -> bool:
        if not await self.leader():
            log.debug("another process runs the scheduled jobs")
            return False
        started = time.monotonic()
        try:
            await self.jobs.tick(self.clock.now_ms())
        except Exception:
            log.exception("scheduled jobs failed; next try in %.0f s", self.interval_s)
        else:
            log.debug("scheduled jobs ran in %.0f ms", (time.monotonic() - started) * 1000)
        return True

    def start(self) -> None:
        # A routine run is one DEBUG line (run_once). APScheduler's two INFO lines per run
        # ("Running job", "executed successfully", at every tick, day and night) are left
        # out: they would bury what an operator needs to read. Its warnings (a run missed)
        # and errors stay. The level is set on the logger of this scheduler's own executor
        # alias only.
        # Its start and stop lines ("Adding job tentatively -- it will be properly
        # scheduled…") tell an operator nothing either.
        logging.getLogger(f"apscheduler.executors.{_EXECUTOR}").setLevel(logging.WARNING)
        _APS_LOG.setLevel(logging.WARNING)
        self._aps.add_executor(AsyncIOExecutor(), _EXECUTOR)
        self._aps.add_job(
            self.run_once, "interval", seconds=self.interval_s, next_run_time=datetime.now(),
            max_instances=1, coalesce=True, id="sothutu-tick", executor=_EXECUTOR,
        )  # fmt: skip
        self._aps.start()

    async def stop(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=False)
        # Hand over at once rather than after the expiry; with Redis gone the expiry does it,
        # and the shutdown must not wait on the client's retries.
        with contextlib.suppress(StoreError, OSError, TimeoutError):
            await asyncio.wait_for(self.lock.release(self.owner), 2.0)
