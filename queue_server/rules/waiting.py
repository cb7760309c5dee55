"""Estimated waiting time. Pure: the caller passes the samples and the counts."""

from __future__ import annotations

from collections.abc import Sequence

ROLLING_WINDOW = 20
MIN_SAMPLES = 3


def average_service_s(samples_ms: Sequence[float], configured_minutes: float) -> float:
    """Average service time in seconds over the recent samples of a field; the configured
    average until there are at least MIN_SAMPLES. Outliers beyond an hour are capped so one
    forgotten "finish" does not inflate every estimate."""
    usable = [min(s, 3_600_000.0) for s in samples_ms[:ROLLING_WINDOW] if s >= 0]
    if len(usable) < MIN_SAMPLES:
        return configured_minutes * 60.0
    return sum(usable) / len(usable) / 1000.0


def estimated_wait_s(ahead: int, average_s: float, open_counters: int) -> int:
    """Seconds until a ticket with `ahead` tickets before it is called, with the field's
    open counters working in parallel. With no counter open the estimate assumes one will
    open, so the citizen still gets a figure rather than none."""
    return round(ahead * average_s / max(1, open_counters))
