from __future__ import annotations

import itertools
from typing import cast

import pytest

from queue_server.rules.calling import (
    Klass,
    LaneHeads,
    Waiting,
    appointment_call_ms,
    calling_order,
    choose_next,
    people_ahead,
    pick_in_lane,
)

NOW = 1_000_000


def w(spec: str) -> Waiting:
    """'p3' = priority ticket issued third; 'n1' normal; 'a900' appointment due at 900."""
    klass: Klass = {"p": "priority", "n": "normal", "a": "appointment"}[spec[0]]  # type: ignore[assignment]
    return Waiting(spec, klass, float(spec[1:]))


def order(specs: str, interleave: int, now: int = NOW, streak: int = 0) -> str:
    tickets = [w(s) for s in specs.split()]
    return " ".join(t.id for t in calling_order(tickets, interleave, now, streak))


@pytest.mark.parametrize(
    ("waiting", "interleave", "expected"),
    [
        ("n1 n2 n3", 2, "n1 n2 n3"),  # FIFO inside a class
        ("n3 n1 n2", 2, "n1 n2 n3"),
        ("n1 n2 p3 p4", 2, "p3 p4 n1 n2"),  # priority first
        ("n1 n2 p3 p4 p5 p6", 2, "p3 p4 n1 p5 p6 n2"),  # ...but interleaved 2:1
        ("n1 n2 p3 p4 p5 p6", 1, "p3 n1 p4 n2 p5 p6"),
        ("n1 p2 p3 p4 p5", 3, "p2 p3 p4 n1 p5"),
        ("p1 p2 p3", 1, "p1 p2 p3"),  # no normal waiting: priority goes on
        ("n1 n2 a500", 2, "a500 n1 n2"),  # an appointment whose time has come goes first
        ("n1 a2000000 n2", 2, "n1 n2 a2000000"),  # ...not before its time, unless idle
        ("p1 a500 a400 n2", 1, "a400 a500 p1 n2"),
    ],
)
def test_calling_order(waiting: str, interleave: int, expected: str) -> None:
    assert order(waiting, interleave) == expected


def test_streak_carries_over_between_calls() -> None:
    # The counter already called 2 priority tickets in a row: a normal one is due.
    assert order("n1 p2 p3", 2, streak=2) == "n1 p2 p3"


@pytest.mark.parametrize(
    ("lanes", "expected_lane", "expected_id"),
    [
        ([("@1", {}), ("HT", {"normal": "n5"}), ("CT", {"priority": "p1"})], "HT", "n5"),
        ([("@1", {"normal": "n9"}), ("HT", {"priority": "p1"})], "@1", "n9"),
        ([("@1", {}), ("HT", {}), ("CT", {"normal": "n2"})], "CT", "n2"),
        ([("@1", {}), ("HT", {})], None, None),
    ],
)
def test_choose_next_follows_lane_preference(
    lanes: list[tuple[str, dict[str, str]]], expected_lane: str | None, expected_id: str | None
) -> None:
    heads: list[tuple[str, LaneHeads]] = [
        (lane, {cast(Klass, k): w(v) for k, v in h.items()}) for lane, h in lanes
    ]
    choice = choose_next(heads, 0, 2, NOW)
    if expected_lane is None:
        assert choice is None
    else:
        assert choice is not None
        assert (choice.lane, choice.ticket.id) == (expected_lane, expected_id)


def test_pick_resets_streak_on_normal() -> None:
    picked = pick_in_lane({"priority": w("p1"), "normal": w("n2")}, 2, 2, NOW)
    assert picked == (w("n2"), 0)
    picked = pick_in_lane({"priority": w("p1"), "normal": w("n2")}, 1, 2, NOW)
    assert picked == (w("p1"), 2)


@pytest.mark.parametrize("interleave", [1, 2, 3])
@pytest.mark.parametrize(
    ("n_prio", "n_normal", "n_appt"), [(0, 4, 0), (5, 3, 0), (7, 2, 2), (2, 6, 1)]
)
def test_people_ahead_matches_calling_order(
    interleave: int, n_prio: int, n_normal: int, n_appt: int
) -> None:
    """The closed form used at issue time agrees with the full simulation."""
    order_no = itertools.count(1)
    tickets = (
        [Waiting(f"a{i}", "appointment", float(i)) for i in range(n_appt)]
        + [Waiting(f"p{i}", "priority", float(next(order_no))) for i in range(n_prio)]
        + [Waiting(f"n{i}", "normal", float(next(order_no))) for i in range(n_normal)]
    )
    full = calling_order(tickets, interleave, NOW)
    counts: dict[Klass, int] = {"appointment": n_appt, "priority": n_prio, "normal": n_normal}
    for t in tickets:
        rank = int(t.id[1:])
        assert people_ahead(t.klass, rank, counts, interleave) == full.index(t), t.id


@pytest.mark.parametrize(
    ("due_ms", "issued_ms", "called"),
    [
        (9_000, 8_000, 9_000),  # checked in before the slot: called at it
        (9_000, 9_000, None),  # at the slot: already due, the first free counter
        (9_000, 9_500, None),  # a late check-in inside the window
        (None, 8_000, None),  # no due time: not an appointment ticket
    ],
)
def test_when_an_appointment_ticket_is_called(
    due_ms: int | None, issued_ms: int, called: int | None
) -> None:
    assert appointment_call_ms(due_ms, issued_ms) == called
