"""The stores that the scheduled jobs, the console and the counter use, on a Redis Cluster
and on Valkey: each office's keys on its own node, MULTIs and scripts within one slot, the
deployment-wide scheduler lock on whichever node holds it, the list of offices in a slot of
its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.services.appointments import AppointmentService, Citizen
from queue_server.services.clock import FixedClock
from queue_server.services.hub import Hub
from queue_server.services.notify import Message, OutboxSender
from queue_server.services.offices import OfficeRegistry
from queue_server.services.queue import QueueService
from queue_server.services.reports import ReportsService
from queue_server.services.scheduler import Jobs
from queue_server.store import keys
from queue_server.store.aggregates import AggregateStore
from queue_server.store.bookings import BookingStore
from queue_server.store.events import EventLog
from queue_server.store.messages import BoardMessages
from queue_server.store.offices import LIST_CHANGES, OfficeList, OfficeSettings
from queue_server.store.outbox import Outbox
from queue_server.store.queue import Event, QueueStore
from queue_server.store.ratings import RatingStore
from queue_server.store.schedule import SchedulerLock, ScheduleStore
from tests.backends.conftest import OFFICE_A
from tests.support.offices import OFFICE_B

WED_9 = datetime(2026, 11, 25, 9, 0)  # MORNING is Tuesday 24/11/2026 09:00


class Sent:
    """An adapter that keeps what it was handed (the log and SMTP ones are tested with
    a real SMTP server in tests/appointments/test_jobs.py)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def send(self, message: Message) -> bool:
        self.messages.append(message)
        return True


async def test_the_scheduled_jobs(r: Any, service: QueueService, clock: FixedClock) -> None:
    appointments = AppointmentService(service.config, BookingStore(r), service, clock)
    reports = ReportsService(service.offices, AggregateStore(r), clock)
    sent = Sent()
    marks = ScheduleStore(r)
    jobs = Jobs(service.config, appointments, OutboxSender(Outbox(r), sent), marks, reports)
    booked = await appointments.book(OFFICE_B, "HT", "", WED_9, Citizen("Lê Văn A", "0911111111"))
    await service.issue(OFFICE_B, "HT")
    await service.issue(OFFICE_A, "CT")
    await jobs.tick(clock.now_ms())
    assert await marks.last_run(OFFICE_B) == clock.now_ms()
    clock.advance(13.5 * 3600)  # 22:30: reminders (from 17:00) and the day's figures
    await jobs.tick(clock.now_ms())
    assert [(m.phone, m.code) for m in sent.messages] == [("0911111111", booked.code)]
    for office in (OFFICE_A, OFFICE_B):
        assert await marks.last_run(office) == clock.now_ms()
        assert await marks.has_snapshot(office, "2026-11-24")
    figures = await r.hgetall(keys.day_report(OFFICE_B, "2026-11-24"))
    assert (figures["tickets"], figures["field:HT"], figures["status:waiting"]) == ("1", "1", "1")
    assert 0 < await r.ttl(keys.day_report(OFFICE_B, "2026-11-24")) <= 400 * 86400
    # Sent and acknowledged: the next run sends nothing again.
    assert await jobs.send_outbox(clock.now_ms()) == 0


async def test_the_scheduler_lock(r: Any) -> None:
    a, b = SchedulerLock(r), SchedulerLock(r)
    assert await a.hold("a", 5000) is True
    assert await b.hold("b", 5000) is False
    assert await a.hold("a", 5000) is True  # renewed
    assert await b.release("b") is False
    assert await a.release("a") is True
    assert await b.hold("b", 5000) is True


async def test_office_settings_are_saved_and_announced_in_one_multi(r: Any) -> None:
    settings = OfficeSettings(r)
    table = {"slug": OFFICE_B, "holidays": [dt.date(2026, 9, 2)], "opens": dt.time(7, 30)}
    await settings.save(OFFICE_B, table, "hoa", 1_000)
    assert await settings.table(OFFICE_B) == table
    assert await settings.table(OFFICE_A) is None
    for stream in (keys.changes(OFFICE_B), keys.events(OFFICE_B)):
        ((_, entry),) = await r.xrange(stream)
        assert entry["type"] == "office.config_changed"
        assert json.loads(entry["data"]) == {"by": "hoa", "at": 1_000}


async def test_counter_events_board_message_and_rating(r: Any, service: QueueService) -> None:
    placed = await service.issue(OFFICE_B, "HT")
    await service.counter_action(OFFICE_B, 1, "open", "lan")
    await service.call_next(OFFICE_B, 1)
    await service.step(placed.ticket.id, "finish")
    found = await EventLog(r).since(OFFICE_B, 0, ("ticket.finished",))
    assert [(t, d["id"]) for t, d in found] == [("ticket.finished", placed.ticket.id)]
    assert await EventLog(r).since(OFFICE_A, 0, ("ticket.finished",)) == []
    ratings = RatingStore(r)
    assert await ratings.rated(placed.ticket.id) is False
    await ratings.rate(placed.ticket, 1, "", 2_000)
    assert await ratings.rated(placed.ticket.id) is True
    messages = BoardMessages(r)
    await messages.send(OFFICE_B, "Nghỉ trưa", 10_000, "hoa", 1_000)
    assert await messages.current(OFFICE_B, 5_000) == {"text": "Nghỉ trưa", "until_ms": 10_000}
    assert await messages.current(OFFICE_A, 5_000) is None
    assert (await service.snapshot(OFFICE_B))["message"] is None  # the clock is past it


async def test_the_list_of_offices_and_its_stream_of_changes(
    r: Any, service: QueueService, clock: FixedClock
) -> None:
    """The list and its stream share a slot of their own (`{_province}`): each change is one
    script there, and a hub reads the stream beside the offices' (on a cluster, in a reader
    of that slot)."""
    heard: list[tuple[str, str]] = []
    hub = Hub(QueueStore(r), block_ms=500)

    async def listener(event: Event) -> None:
        heard.append((event.type, str(event.data["office"])))

    for change in LIST_CHANGES:
        hub.listen(change, listener)
    await hub.watch(keys.PROVINCE)
    registry = OfficeRegistry(service.config, OfficeSettings(r), OfficeList(r))
    await registry.load()
    assert [o.slug for o in registry.all()] == [OFFICE_A, OFFICE_B]
    table = registry.copy_table(OFFICE_A, "phuong-kim-ma", "Phường Kim Mã", None)
    await registry.create(table, "tinh")
    await registry.close(OFFICE_B, "tinh")
    later = OfficeRegistry(service.config, OfficeSettings(r), OfficeList(r))
    await later.load()
    assert [o.slug for o in later.all()] == [OFFICE_A, "phuong-kim-ma"]
    clock.ms = int(WED_9.replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).timestamp() * 1000)
    queue = QueueService(service.config, service.store, clock, later)
    placed = await queue.issue("phuong-kim-ma", "HT")
    assert placed.ticket.number == "A001"
    for _ in range(100):
        if len(heard) == 2:
            break
        await asyncio.sleep(0.02)
    await hub.close()
    assert heard == [("office.added", "phuong-kim-ma"), ("office.closed", OFFICE_B)]
