"""Ticket lifecycle and counters through the service, against the real Redis."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server.errors import BadRequest, Conflict, NotFound, RangeExhausted
from queue_server.services.clock import FixedClock
from queue_server.services.queue import QueueService
from tests.conftest import OFFICE


async def open_counters(service: QueueService, *numbers: int) -> None:
    for n in numbers:
        await service.counter_action(OFFICE, n, "open", "lan")


async def test_numbers_per_field_and_day(service: QueueService, clock: FixedClock) -> None:
    a = [await service.issue(OFFICE, "HT") for _ in range(3)]
    b = await service.issue(OFFICE, "CT")
    assert [p.ticket.number for p in a] == ["A001", "A002", "A003"]
    assert b.ticket.number == "B001"
    assert a[1].position == 1 and a[2].position == 2
    # Next morning numbering starts again, and yesterday's waiting tickets are cancelled.
    clock.advance(24 * 3600)
    first = await service.issue(OFFICE, "HT")
    assert first.ticket.number == "A001" and first.position == 0
    old = await service.store.ticket(a[0].ticket.id)
    assert (old.status, old.cancel_reason) == ("cancelled", "day_closed")
    snap = await service.snapshot(OFFICE)
    assert [t["number"] for t in snap["lanes"]["HT"]] == ["A001"]


@pytest.mark.parametrize("priority", [None, "elderly"])
async def test_the_issued_ticket_is_the_one_stored(
    service: QueueService, priority: str | None
) -> None:
    """The answer to an issue is built from what was sent and the number the script chose,
    not read back: it must equal what Redis holds, and what a replay answers."""
    await service.issue(OFFICE, "HT")
    placed = await service.issue(OFFICE, "HT", priority, idempotency_key="same-key-123")
    assert placed.ticket == await service.store.ticket(placed.ticket.id)
    again = await service.issue(OFFICE, "HT", priority, idempotency_key="same-key-123")
    assert again.ticket == placed.ticket
    due = (await service.store.ticket(placed.ticket.id)).issued_at + 600_000
    booked = await service.issue(OFFICE, "HT", "appointment", due_ms=due)
    assert booked.ticket == await service.store.ticket(booked.ticket.id)
    assert (booked.ticket.klass, booked.ticket.due_at) == ("appointment", due)


async def test_range_exhausted_is_409_and_consumes_nothing(
    r: Any, service: QueueService, config: Any
) -> None:
    import dataclasses

    office = config.offices[0]
    small = dataclasses.replace(office.fields[0], first_number=1, last_number=2)
    office = dataclasses.replace(office, fields=(small, *office.fields[1:]))
    svc = QueueService(dataclasses.replace(config, offices=(office,)), service.store, service.clock)
    assert (await svc.issue(OFFICE, "HT")).ticket.number == "A001"
    assert (await svc.issue(OFFICE, "HT")).ticket.number == "A002"
    for _ in range(2):
        with pytest.raises(RangeExhausted) as info:
            await svc.issue(OFFICE, "HT")
        assert info.value.status == 409 and "A002" in info.value.message
    snap = await svc.snapshot(OFFICE)
    assert len(snap["lanes"]["HT"]) == 2


async def test_full_lifecycle_and_service_time(service: QueueService, clock: FixedClock) -> None:
    await open_counters(service, 1)
    issued = await service.issue(OFFICE, "HT")
    called = await service.call_next(OFFICE, 1)
    assert called is not None and called.id == issued.ticket.id
    assert (called.status, called.counter) == ("called", 1)
    clock.advance(10)
    recalled = await service.step(called.id, "recall", 1)
    assert recalled.recalls == 1 and recalled.status == "called"
    started = await service.step(called.id, "start", 1)
    assert started.status == "serving"
    clock.advance(300)
    done = await service.step(called.id, "finish", 1)
    assert done.status == "done" and done.finished_at == started.started_at + 300_000  # type: ignore[operator]
    assert await service.store.service_samples(OFFICE, "HT") == [300_000.0]
    counter = await service.store.counter(OFFICE, 1)
    assert counter.current is None and not counter.busy


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("waiting", "start"),
        ("waiting", "finish"),
        ("waiting", "recall"),
        ("waiting", "no_show"),
        ("done", "finish"),
        ("done", "recall"),
        ("no_show", "start"),
        ("serving", "no_show"),
        ("serving", "recall"),
    ],
)
async def test_transitions_not_allowed_change_nothing(
    service: QueueService, setup: str, action: str
) -> None:
    await open_counters(service, 1)
    t = (await service.issue(OFFICE, "HT")).ticket
    if setup != "waiting":
        await service.call_next(OFFICE, 1)
    if setup in ("serving", "done"):
        await service.step(t.id, "start", 1)
    if setup == "done":
        await service.step(t.id, "finish", 1)
    if setup == "no_show":
        await service.step(t.id, "no_show", 1)
    before = await service.store.ticket(t.id)
    with pytest.raises(Conflict) as info:
        await service.step(t.id, action, 1)
    assert info.value.status == 409 and before.number in info.value.message
    assert await service.store.ticket(t.id) == before


async def test_counter_rules(service: QueueService) -> None:
    t = (await service.issue(OFFICE, "HT")).ticket
    with pytest.raises(Conflict, match="open it first"):
        await service.call_next(OFFICE, 1)
    await open_counters(service, 1)
    await service.issue(OFFICE, "HT")
    await service.call_next(OFFICE, 1)
    with pytest.raises(Conflict, match="still serving A001"):
        await service.call_next(OFFICE, 1)  # one ticket at a time
    with pytest.raises(Conflict, match="still serving"):
        await service.counter_action(OFFICE, 1, "close")
    await service.step(t.id, "no_show", 1)
    # One HT ticket still waits and counter 1 is the last open for HT: asked first.
    with pytest.raises(Conflict, match="last one open for Civil status; 1 person is waiting"):
        await service.counter_action(OFFICE, 1, "pause")
    paused = await service.counter_action(OFFICE, 1, "pause", force=True)
    assert paused.status == "paused"
    with pytest.raises(Conflict):
        await service.call_next(OFFICE, 1)
    assert (await service.counter_action(OFFICE, 1, "close")).status == "closed"
    assert await service.store.open_counts(service.office(OFFICE)) == dict.fromkeys(
        ["HT", "CT", "DD", "LD", "TP"], 0
    )


async def test_priority_interleave_and_field_preference(service: QueueService) -> None:
    # Counter 2 serves HT first, then CT. Interleave is 2 in the demo office.
    await open_counters(service, 2)
    for prio in [None, None, "elderly", "pregnant", "disabled"]:
        await service.issue(OFFICE, "HT", prio)
    await service.issue(OFFICE, "CT", "elderly")
    called = []
    while (t := await service.call_next(OFFICE, 2)) is not None:
        called.append(t.number)
        await service.step(t.id, "finish", 2)
    assert called == ["A003", "A004", "A001", "A005", "A002", "B001"]


async def test_appointment_ticket_at_its_time(service: QueueService, clock: FixedClock) -> None:
    await open_counters(service, 4)
    walk_in = await service.issue(OFFICE, "DD")
    appt = await service.issue(OFFICE, "DD", "appointment", due_ms=clock.now_ms() + 600_000)
    assert appt.ticket.klass == "appointment"
    first = await service.call_next(OFFICE, 4)
    assert first is not None and first.id == walk_in.ticket.id  # not yet its time
    await service.step(first.id, "finish", 4)
    late_walk_in = await service.issue(OFFICE, "DD")
    clock.advance(601)
    second = await service.call_next(OFFICE, 4)
    assert second is not None and second.id == appt.ticket.id  # its time: ahead of walk-ins
    await service.step(second.id, "finish", 4)
    third = await service.call_next(OFFICE, 4)
    assert third is not None and third.id == late_walk_in.ticket.id
    with pytest.raises(BadRequest):
        await service.issue(OFFICE, "DD", "appointment")  # only through a booking check-in


async def test_transfer_keeps_place_by_issue_order(service: QueueService) -> None:
    await open_counters(service, 1, 3)
    early = (await service.issue(OFFICE, "HT")).ticket
    ct = [(await service.issue(OFFICE, "CT")).ticket for _ in range(2)]
    moved = await service.transfer(early.id, "CT", None)
    assert (moved.status, moved.field, moved.number) == ("waiting", "CT", "A001")
    placed = await service.get(early.id)
    assert placed.position == 0  # issued before both B tickets
    # Transfer a called ticket to a counter: that counter calls it before its fields.
    b1 = await service.call_next(OFFICE, 3)
    assert b1 is not None and b1.id == early.id
    sent = await service.transfer(early.id, None, 1)
    assert sent.lane == "@1" and (await service.store.counter(OFFICE, 3)).current is None
    await service.issue(OFFICE, "HT")
    at_1 = await service.call_next(OFFICE, 1)
    assert at_1 is not None and at_1.id == early.id
    nxt = await service.call_next(OFFICE, 3)
    assert nxt is not None and nxt.id == ct[0].id


async def test_call_specific_ticket_and_cancel(service: QueueService) -> None:
    await open_counters(service, 1)
    tickets = [(await service.issue(OFFICE, "HT")).ticket for _ in range(3)]
    picked = await service.call(tickets[2].id, 1)
    assert picked.number == "A003" and picked.counter == 1
    cancelled = await service.cancel(tickets[1].id)
    assert cancelled.status == "cancelled"
    with pytest.raises(Conflict):
        await service.cancel(tickets[1].id)
    with pytest.raises(Conflict):
        await service.call(tickets[1].id, 1)
    snap = await service.snapshot(OFFICE)
    assert [t["number"] for t in snap["lanes"]["HT"]] == ["A001"]
    assert snap["counters"][0]["ticket"]["number"] == "A003"


async def test_idempotent_retries(service: QueueService) -> None:
    await open_counters(service, 1)
    first = await service.issue(OFFICE, "HT", idempotency_key="kiosk-1-tap-0001")
    again = await service.issue(OFFICE, "HT", idempotency_key="kiosk-1-tap-0001")
    assert again.ticket.id == first.ticket.id
    assert (await service.issue(OFFICE, "HT")).ticket.number == "A002"
    call = await service.call_next(OFFICE, 1, "counter-1-call-001")
    repeat = await service.call_next(OFFICE, 1, "counter-1-call-001")
    assert call is not None and repeat is not None and call.id == repeat.id == first.ticket.id


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.issue("no-such-office", "HT"), NotFound),
        (lambda s: s.issue(OFFICE, "ZZ"), NotFound),
        (lambda s: s.issue(OFFICE, "HT", "vip"), BadRequest),
        (lambda s: s.call_next(OFFICE, 42), NotFound),
        (lambda s: s.get("phuong-ba-dinh.doesnotexist"), NotFound),
        (lambda s: s.get("garbage"), NotFound),
        (lambda s: s.transfer("phuong-ba-dinh.doesnotexist", "HT", None), NotFound),
    ],
)
async def test_unknown_names(service: QueueService, call: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        await call(service)
    assert (await service.snapshot(OFFICE))["lanes"]["HT"] == []
