from __future__ import annotations

import pytest

from queue_server.rules.waiting import average_service_s, estimated_wait_s


@pytest.mark.parametrize(
    ("samples_ms", "configured_min", "expected_s"),
    [
        ([], 12, 720.0),  # no history: the configured average
        ([60_000, 120_000], 12, 720.0),  # too little history
        ([60_000, 120_000, 180_000], 12, 120.0),
        ([10 * 3_600_000, 0, 0], 5, 1200.0),  # a forgotten "finish" is capped at an hour
        ([30_000] * 25 + [999_999] * 5, 5, 30.0),  # only the 20 most recent count
    ],
)
def test_average_service(samples_ms: list[float], configured_min: float, expected_s: float) -> None:
    assert average_service_s(samples_ms, configured_min) == pytest.approx(expected_s)


@pytest.mark.parametrize(
    ("ahead", "avg", "open_counters", "expected"),
    [(0, 600, 2, 0), (3, 600, 1, 1800), (3, 600, 2, 900), (5, 100, 0, 500), (1, 90.4, 1, 90)],
)
def test_estimated_wait(ahead: int, avg: float, open_counters: int, expected: int) -> None:
    assert estimated_wait_s(ahead, avg, open_counters) == expected
