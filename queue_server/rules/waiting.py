"""Estimated waiting time. Pure: the caller passes the samples and the counts."""

from __future__ import annotations

from collections.abc import Sequence

ROLLING_WINDOW = 20
MIN_SAMPLES = 3
# A service shorter than this is not a service but a clerk pressing "Bắt đầu" and
# "Hoàn thành" together (or a ticket called by mistake): it says nothing about how long the
# next citizen will take.
FLOOR_S = 30.0
FLOOR_SHARE = 0.2
# Longer than this many times the configured time is a "Hoàn thành" forgotten over lunch.
CEILING_TIMES = 4.0


def plausible_range_s(configured_minutes: float) -> tuple[float, float]:
    """The service times, in seconds, that count towards a field's average: from 20% of
    the configured time (at least 30 s) to 4 times it."""
    configured_s = configured_minutes * 60.0
    floor = max(FLOOR_S, FLOOR_SHARE * configured_s)
    return floor, max(floor, CEILING_TIMES * configured_s)


def average_service_s(samples_ms: Sequence[float], configured_minutes: float) -> float:
    """Average service time in seconds of a field: the mean of its last ROLLING_WINDOW
    service times that are plausible (`plausible_range_s`: neither a Start-and-Finish
    press of a few seconds nor a forgotten "finish"), or the configured `service_minutes`
    while fewer than MIN_SAMPLES of them are. Implausible samples are dropped rather than
    clamped, so three near-zero services cannot make a queue of four look like no wait."""
    lo, hi = plausible_range_s(configured_minutes)
    usable = [s / 1000.0 for s in samples_ms[:ROLLING_WINDOW] if lo <= s / 1000.0 <= hi]
    if len(usable) < MIN_SAMPLES:
        return configured_minutes * 60.0
    return sum(usable) / len(usable)


def estimated_wait_s(ahead: int, average_s: float, open_counters: int) -> int:
    """Seconds until a ticket with `ahead` tickets before it is called, with the field's
    open counters working in parallel. With no counter open the estimate assumes one will
    open, so the citizen still gets a figure rather than none."""
    return round(ahead * average_s / max(1, open_counters))
