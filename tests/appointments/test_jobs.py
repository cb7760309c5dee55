"""Scheduled jobs, called directly with a given time; the single runner; e-mail reminders."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from queue_server.errors import Conflict
from queue_server.services.appointments import AppointmentService, Citizen
from queue_server.services.clock import FixedClock
from queue_server.services.notify import EmailAdapter, LogAdapter, OutboxSender
from queue_server.services.reports import ReportsService
from queue_server.services.scheduler import Jobs, Scheduler
from queue_server.store.aggregates import AggregateStore
from queue_server.store.outbox import Outbox
from queue_server.store.schedule import SchedulerLock, ScheduleStore

OFFICE = "phuong-ba-dinh"
WED_9 = datetime(2026, 11, 25, 9, 0)


def jobs_for(appointments: AppointmentService, adapter: Any = None) -> Jobs:
    client = appointments.store.client
    queue = appointments.queue
    sender = OutboxSender(Outbox(client), adapter or LogAdapter())
    reports = ReportsService(queue.offices, AggregateStore(client), queue.clock)
    return Jobs(appointments.config, appointments, sender, ScheduleStore(client), reports)


def ms(appointments: AppointmentService, at: datetime) -> int:
    return appointments.to_ms(appointments.queue.office(OFFICE), at)


async def test_no_shows_are_released_after_the_grace_time(
    appointments: AppointmentService, clock: FixedClock, r: Any
) -> None:
    late = await appointments.book(OFFICE, "HT", "", WED_9, Citizen("Lê Văn A", "0911111111"))
    came = await appointments.book(OFFICE, "HT", "", WED_9, Citizen("Lê Văn B", "0922222222"))
    later = await appointments.book(
        OFFICE, "HT", "", datetime(2026, 11, 25, 10, 0), Citizen("Lê Văn C", "0933333333")
    )
    clock.ms = ms(appointments, datetime(2026, 11, 25, 9, 5))
    assert (await appointments.check_in(OFFICE, came.code)).status == "ok"
    jobs = jobs_for(appointments)
    # 30 minutes of grace: at 09:30 exactly the citizen is still in time.
    assert await jobs.release_no_shows(ms(appointments, datetime(2026, 11, 25, 9, 30))) == 0
    assert await jobs.release_no_shows(ms(appointments, datetime(2026, 11, 25, 9, 31))) == 1
    assert await jobs.release_no_shows(ms(appointments, datetime(2026, 11, 25, 9, 45))) == 0
    assert (await appointments.find(late.code)).status == "no_show"
    assert (await appointments.find(came.code)).status == "checked_in"
    assert (await appointments.find(later.code)).status == "booked"
    report = await r.hgetall("sq:{phuong-ba-dinh}:report:2026-11-25")
    assert report["appointments_no_show"] == "1"
    # A no-show's code no longer checks in.
    with pytest.raises(Conflict):
        await appointments.check_in(OFFICE, late.code)


async def test_walk_ins_stop_before_closing_and_reopen_next_morning(
    appointments: AppointmentService,
) -> None:
    jobs = jobs_for(appointments)
    # 24/11 is a holiday from 2026 (Ngày Văn hóa Việt Nam): a Wednesday and Thursday then.

    def at(h: int, m: int) -> int:
        return ms(appointments, datetime(2026, 11, 25, h, m))

    await jobs.day_transitions(at(16, 0))  # the first tick only records the time
    await appointments.check_walk_in(OFFICE)
    await jobs.day_transitions(at(16, 14))
    await appointments.check_walk_in(OFFICE)
    await jobs.day_transitions(at(16, 15))  # winter closing 16:30, stop 15 minutes before
    with pytest.raises(Conflict) as info:
        await appointments.check_walk_in(OFFICE)
    assert info.value.code == "walk_in_closed"
    # Appointment check-ins still issue tickets while walk-ins are stopped.
    await jobs.day_transitions(ms(appointments, datetime(2026, 11, 26, 7, 29)))
    with pytest.raises(Conflict):
        await appointments.check_walk_in(OFFICE)
    await jobs.day_transitions(ms(appointments, datetime(2026, 11, 26, 7, 30)))
    await appointments.check_walk_in(OFFICE)


async def test_a_restart_over_a_weekend_catches_up_the_transitions(
    appointments: AppointmentService,
) -> None:
    jobs = jobs_for(appointments)
    await jobs.day_transitions(ms(appointments, datetime(2026, 11, 27, 12, 0)))  # Friday
    await jobs.day_transitions(ms(appointments, datetime(2026, 11, 28, 10, 0)))  # Saturday
    with pytest.raises(Conflict):
        await appointments.check_walk_in(OFFICE)
    await jobs.day_transitions(ms(appointments, datetime(2026, 11, 30, 8, 0)))  # Monday
    await appointments.check_walk_in(OFFICE)


async def test_reminders_once_per_booking_into_the_outbox(
    appointments: AppointmentService, clock: FixedClock, r: Any
) -> None:
    b = await appointments.book(OFFICE, "HT", "", WED_9, Citizen("Lê Văn A", "0911111111"))
    jobs = jobs_for(appointments)
    assert await jobs.send_reminders(ms(appointments, datetime(2026, 11, 24, 16, 59))) == 0
    assert await jobs.send_reminders(ms(appointments, datetime(2026, 11, 24, 17, 0))) == 1
    assert await jobs.send_reminders(ms(appointments, datetime(2026, 11, 24, 17, 30))) == 0
    entries = await r.xrange("sq:{phuong-ba-dinh}:outbox")
    assert len(entries) == 1
    assert entries[0][1]["phone"] == "0911111111"
    text = entries[0][1]["text"]
    assert f"mã {b.code}" in text and "09:00 ngày 25/11/2026" in text
    assert await jobs.send_outbox(0) == 1
    assert await jobs.send_outbox(0) == 0


class Inbox:
    def __init__(self) -> None:
        self.mails: list[Envelope] = []
        self.arrived = asyncio.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.mails.append(envelope)
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd's start-up check cannot use port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_email_adapter_sends_reminders_through_smtp(
    appointments: AppointmentService, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await appointments.book(
        OFFICE, "HT", "", WED_9, Citizen("Lê Văn A", "0911111111", email="a@example.vn")
    )
    await appointments.book(OFFICE, "HT", "", WED_9, Citizen("Lê Văn B", "0922222222"))
    adapter = EmailAdapter(
        f"smtp://127.0.0.1:{port}?from=ubnd@example.vn&to={{phone}}@sms.example.vn"
    )
    jobs = jobs_for(appointments, adapter)
    assert await jobs.send_reminders(ms(appointments, datetime(2026, 11, 24, 18, 0))) == 2
    assert await jobs.send_outbox(0) == 2
    to = sorted(m.rcpt_tos[0] for m in inbox.mails)
    assert to == ["0922222222@sms.example.vn", "a@example.vn"]
    body = inbox.mails[0].content
    assert isinstance(body, bytes) and b"Subject:" in body


async def test_an_unreachable_smtp_server_keeps_the_reminder_for_later(
    appointments: AppointmentService, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await appointments.book(
        OFFICE, "HT", "", WED_9, Citizen("Lê Văn A", "0911111111", email="a@example.vn")
    )
    down = jobs_for(appointments, EmailAdapter("smtp://127.0.0.1:1?from=x@example.vn"))
    await down.send_reminders(ms(appointments, datetime(2026, 11, 24, 18, 0)))
    assert await down.send_outbox(0) == 0
    up = jobs_for(appointments, EmailAdapter(f"smtp://127.0.0.1:{port}?from=x@example.vn"))
    assert await up.send_outbox(0) == 1
    assert len(inbox.mails) == 1


async def test_nightly_snapshot_counts_the_day(
    appointments: AppointmentService, clock: FixedClock, r: Any
) -> None:
    await appointments.queue.issue(OFFICE, "HT")
    await appointments.queue.issue(OFFICE, "CT", "elderly")
    jobs = jobs_for(appointments)
    assert await jobs.nightly_snapshot(ms(appointments, datetime(2026, 11, 24, 21, 0))) == 0
    assert await jobs.nightly_snapshot(ms(appointments, datetime(2026, 11, 24, 22, 0))) == 1
    report = await r.hgetall("sq:{phuong-ba-dinh}:report:2026-11-24")
    assert report["tickets"] == "2"
    assert report["field:HT"] == "1" and report["class:priority"] == "1"
    assert report["status:waiting"] == "2"
    # Once a day: later ticks before midnight leave it alone.
    await appointments.queue.issue(OFFICE, "HT")
    assert await jobs.nightly_snapshot(ms(appointments, datetime(2026, 11, 24, 23, 30))) == 0
    assert (await r.hgetall("sq:{phuong-ba-dinh}:report:2026-11-24"))["tickets"] == "2"


async def test_one_runner_per_deployment(
    appointments: AppointmentService, clock: FixedClock
) -> None:
    jobs = jobs_for(appointments)
    client = appointments.store.client
    a = Scheduler(SchedulerLock(client), jobs, clock, lock_ttl_s=5)
    b = Scheduler(SchedulerLock(client), jobs, clock, lock_ttl_s=5)
    assert await a.run_once() is True
    assert await b.run_once() is False
    assert await a.run_once() is True  # renews
    await a.stop()  # hands over at once
    assert await b.run_once() is True
    assert await a.run_once() is False


async def test_routine_runs_log_at_debug_only(
    appointments: AppointmentService, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Every 30 s all day: nothing at INFO (APScheduler's "Running job" and "executed
    successfully" were ~1,900 lines a day), one DEBUG line of ours per run."""
    lock = SchedulerLock(appointments.store.client)
    scheduler = Scheduler(lock, jobs_for(appointments), clock)
    scheduler.interval_s = 0.4  # longer than a run, else APScheduler warns of a skipped one
    caplog.set_level(logging.DEBUG)
    scheduler.start()
    try:
        runs = 0
        for _ in range(1000):
            runs = sum("scheduled jobs ran in" in r.getMessage() for r in caplog.records)
            if runs >= 3:
                break
            await asyncio.sleep(0.01)
        assert runs >= 3
    finally:
        await scheduler.stop()
    ran = [r for r in caplog.records if "scheduled jobs ran in" in r.getMessage()]
    assert {(r.name, r.levelno) for r in ran} == {("sothutu.scheduler", logging.DEBUG)}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
