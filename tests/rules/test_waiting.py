from __future__ import annotations

import pytest

from queue_server.rules.waiting import average_service_s, estimated_wait_s, plausible_range_s

S = 1000  # ms
M = 60 * S


@pytest.mark.parametrize(
    ("samples_ms", "configured_min", "expected_s"),
    [
        ([], 12, 720.0),  # no history: the configured average
        ([5 * M, 10 * M], 12, 720.0),  # too little history
        ([5 * M, 10 * M, 15 * M], 12, 600.0),
        # Start and Finish pressed together: seconds, not services. The configured time
        # stands rather than an estimate of a few seconds.
        ([2 * S, 2 * S, 2 * S], 12, 720.0),
        ([0, 1, 500], 12, 720.0),
        ([2 * S, 2 * S, 2 * S, 8 * M, 10 * M, 12 * M], 12, 600.0),
        # The floor: 20% of the configured time, and never under 30 s.
        ([143 * S] * 3, 12, 720.0),
        ([144 * S] * 3, 12, 144.0),
        ([29 * S] * 3, 1, 60.0),
        ([30 * S] * 3, 1, 30.0),
        # The ceiling: 4 times the configured time ("Hoàn thành" forgotten over lunch).
        ([10 * 3_600_000, 4 * M, 5 * M, 6 * M], 5, 300.0),
        ([20 * M] * 3, 5, 1200.0),
        ([20 * M + 1] * 3, 5, 300.0),
        # Only the 20 most recent count, before filtering.
        ([4 * M] * 20 + [9 * M] * 5, 5, 240.0),
        ([S] * 18 + [4 * M] * 2 + [9 * M] * 5, 5, 300.0),
        ([-5 * M, 4 * M, 4 * M], 5, 300.0),  # a clock step backwards
    ],
)
def test_average_service(samples_ms: list[float], configured_min: float, expected_s: float) -> None:
    assert average_service_s(samples_ms, configured_min) == pytest.approx(expected_s)


@pytest.mark.parametrize(
    ("configured_min", "lo", "hi"),
    [(12, 144.0, 2880.0), (6, 72.0, 1440.0), (1, 30.0, 240.0), (0.1, 30.0, 30.0)],
)
def test_plausible_range(configured_min: float, lo: float, hi: float) -> None:
    assert plausible_range_s(configured_min) == pytest.approx((lo, hi))


@pytest.mark.parametrize(
    ("ahead", "avg", "open_counters", "expected"),
    [(0, 600, 2, 0), (3, 600, 1, 1800), (3, 600, 2, 900), (5, 100, 0, 500), (1, 90.4, 1, 90)],
)
def test_estimated_wait(ahead: int, avg: float, open_counters: int, expected: int) -> None:
    assert estimated_wait_s(ahead, avg, open_counters) == expected
