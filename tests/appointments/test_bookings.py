"""Booking, its races and limits, check-in windows, against the real Redis."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from queue_server.errors import Conflict, NotFound
from queue_server.services.appointments import (
    CODE_ALPHABET,
    AppointmentService,
    Citizen,
    InvalidInput,
    validate_citizen,
)
from queue_server.services.clock import FixedClock
from queue_server.services.queue import QueueService
from queue_server.store.bookings import BookingStore
from queue_server.store.connection import EmbeddedRedis, connect
from queue_server.store.queue import QueueStore

# MORNING is Tue 24/11/2026 09:00; Wednesday's 09:00 slot is well inside the horizon.
WED_9 = datetime(2026, 11, 25, 9, 0)


def citizen(i: int = 0) -> Citizen:
    return Citizen(f"Nguyễn Văn {i}", f"09{i:08d}")


async def test_booking_gets_a_code_and_takes_a_place(appointments: AppointmentService) -> None:
    b = await appointments.book("phuong-ba-dinh", "HT", "1.004873", WED_9, citizen())
    assert len(b.code) == 8 and set(b.code) <= set(CODE_ALPHABET)
    assert (b.status, b.field, b.day) == ("booked", "HT", "2026-11-25")
    office = appointments.queue.office("phuong-ba-dinh")
    field = appointments.queue.field(office, "HT")
    free = {f.slot.start: f.remaining for f in await appointments.free(office, field, WED_9.date())}
    assert free[WED_9] == 2
    assert (await appointments.find(b.code.lower())).code == b.code


async def test_fifty_concurrent_bookings_of_a_slot_of_three_get_exactly_three(
    redis_server: EmbeddedRedis, appointments: AppointmentService, clock: FixedClock
) -> None:
    # Separate connections, as separate server processes would have.
    clients = [connect(redis_server.url()) for _ in range(50)]
    try:
        cfg = appointments.config
        services = [
            AppointmentService(cfg, BookingStore(c), QueueService(cfg, QueueStore(c), clock), clock)
            for c in clients
        ]
        results = await asyncio.gather(
            *(s.book("phuong-ba-dinh", "HT", "", WED_9, citizen(i)) for i, s in
              enumerate(services)),
            return_exceptions=True,
        )  # fmt: skip
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    booked = [x for x in results if not isinstance(x, BaseException)]
    refused = [x for x in results if isinstance(x, BaseException)]
    assert len(booked) == 3
    assert all(isinstance(e, Conflict) and e.code in ("slot_full", "slot_unavailable")
               for e in refused)  # fmt: skip
    assert len({b.code for b in booked}) == 3


async def test_one_phone_holds_at_most_the_limit_even_at_once(
    appointments: AppointmentService,
) -> None:
    same = Citizen("Trần Thị B", "0912345678")
    starts = [datetime(2026, 11, 25, h, m) for h, m in ((8, 0), (8, 30), (9, 0), (9, 30))]
    results = await asyncio.gather(
        *(appointments.book("phuong-ba-dinh", "HT", "", s, same) for s in starts),
        return_exceptions=True,
    )
    ok = [x for x in results if not isinstance(x, BaseException)]
    assert len(ok) == 2  # max_active_per_phone in the demo config
    errs = [x for x in results if isinstance(x, Conflict)]
    assert {e.code for e in errs} == {"phone_limit"}
    # Cancelling one frees the phone for another booking.
    await appointments.cancel("phuong-ba-dinh", ok[0].code)
    again = await appointments.book("phuong-ba-dinh", "HT", "", starts[3], same)
    assert again.status == "booked"


async def test_cancel_frees_the_place_and_reschedule_moves_it(
    appointments: AppointmentService,
) -> None:
    office = appointments.queue.office("phuong-ba-dinh")
    field = appointments.queue.field(office, "HT")
    b = await appointments.book("phuong-ba-dinh", "HT", "", WED_9, citizen(1))
    moved = await appointments.reschedule("phuong-ba-dinh", b.code, datetime(2026, 11, 25, 10, 0))
    assert moved.start != b.start and moved.history[-1]["action"] == "rescheduled"
    free = {f.slot.start: f.remaining for f in await appointments.free(office, field, WED_9.date())}
    assert free[WED_9] == 3 and free[datetime(2026, 11, 25, 10, 0)] == 2
    cancelled = await appointments.cancel("phuong-ba-dinh", b.code)
    assert cancelled.status == "cancelled"
    with pytest.raises(Conflict):
        await appointments.cancel("phuong-ba-dinh", b.code)


@pytest.mark.parametrize(
    ("start", "why"),
    [
        (datetime(2026, 11, 24, 9, 30), "less than the minimum notice"),
        (datetime(2026, 11, 25, 12, 0), "lunch break"),
        (datetime(2026, 11, 28, 9, 0), "Saturday"),
        (datetime(2027, 1, 25, 9, 0), "past the horizon"),
        (datetime(2026, 11, 25, 9, 10), "not a slot start"),
    ],
)
async def test_a_time_that_is_not_a_free_slot_is_refused(
    appointments: AppointmentService, start: datetime, why: str
) -> None:
    with pytest.raises(Conflict) as info:
        await appointments.book("phuong-ba-dinh", "HT", "", start, citizen())
    assert info.value.code == "slot_unavailable", why


@pytest.mark.parametrize(
    ("name", "phone", "cccd", "bad"),
    [
        ("A", "0912345678", "", {"name"}),
        ("Lê Văn C", "12345", "", {"phone"}),
        ("Lê Văn C", "0912345678", "123", {"cccd"}),
        ("", "", "", {"name", "phone"}),
    ],
)
def test_citizen_details_are_checked(name: str, phone: str, cccd: str, bad: set[str]) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_citizen(name, phone, cccd)
    assert set(info.value.fields) == bad


def test_phone_numbers_are_normalised() -> None:
    assert validate_citizen("Lê Văn C", "+84 912 345 678").phone == "0912345678"


@pytest.mark.parametrize(
    ("at", "status"),
    [
        (datetime(2026, 11, 25, 8, 29), "early"),
        (datetime(2026, 11, 25, 8, 30), "ok"),
        (datetime(2026, 11, 25, 9, 15), "ok"),
        (datetime(2026, 11, 25, 9, 16), "late"),
    ],
)
async def test_check_in_window(
    appointments: AppointmentService, clock: FixedClock, at: datetime, status: str
) -> None:
    b = await appointments.book("phuong-ba-dinh", "HT", "", WED_9, citizen())
    office = appointments.queue.office("phuong-ba-dinh")
    clock.ms = appointments.to_ms(office, at)
    result = await appointments.check_in("phuong-ba-dinh", b.code)
    assert result.status == status
    if status == "ok":
        assert result.placed is not None
        ticket = result.placed.ticket
        assert (ticket.klass, ticket.priority, ticket.field) == ("appointment", "appointment", "HT")
        assert ticket.due_at == b.start
    else:
        assert result.placed is None
        assert (await appointments.find(b.code)).status == "booked"


async def test_check_in_twice_gives_the_same_ticket(
    appointments: AppointmentService, clock: FixedClock
) -> None:
    b = await appointments.book("phuong-ba-dinh", "HT", "", WED_9, citizen())
    clock.ms = appointments.to_ms(appointments.queue.office("phuong-ba-dinh"), WED_9)
    first, second = await asyncio.gather(
        appointments.check_in("phuong-ba-dinh", b.code),
        appointments.check_in("phuong-ba-dinh", b.code),
    )
    third = await appointments.check_in("phuong-ba-dinh", b.code)
    assert first.placed and second.placed and third.placed
    assert first.placed.ticket.id == second.placed.ticket.id == third.placed.ticket.id
    assert third.again
    snapshot = await appointments.queue.snapshot("phuong-ba-dinh")
    assert len(snapshot["lanes"]["HT"]) == 1


async def test_unknown_or_foreign_codes_are_not_found(appointments: AppointmentService) -> None:
    b = await appointments.book("phuong-ba-dinh", "HT", "", WED_9, citizen())
    with pytest.raises(NotFound):
        await appointments.find("ZZZZZZZZ")
    with pytest.raises(NotFound):
        await appointments.find("O0I1O0I1")
    with pytest.raises(NotFound):
        await appointments.find(b.code, "another-office")


async def test_events_carry_no_code_or_personal_data(
    appointments: AppointmentService, r: Any
) -> None:
    b = await appointments.book("phuong-ba-dinh", "HT", "", WED_9, citizen())
    events = await r.xrange("sq:{phuong-ba-dinh}:events")
    kinds = [e[1]["type"] for e in events]
    assert kinds == ["appointment.booked"]
    data = events[0][1]["data"]
    assert b.code not in data and b.phone not in data and b.name not in data
