"""The office day of an instant, remembered per time zone: the same answer as converting
every time, at day edges, across a daylight-saving change and with a clock going back."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from queue_server.services.clock import local_day

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")  # 29 Mar 2026 has 23 hours, 25 Oct 2026 has 25


def ms(tz: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=tz).timestamp() * 1000)


def converted(now_ms: int, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(now_ms / 1000, tz).date().isoformat()


HCM_MIDNIGHT = ms(HCM, 2026, 11, 28)
SPRING = [ms(BERLIN, 2026, 3, 28, 23, 30), ms(BERLIN, 2026, 3, 29, 1), ms(BERLIN, 2026, 3, 30)]
AUTUMN = [ms(BERLIN, 2026, 10, 25, 2, 30), ms(BERLIN, 2026, 10, 26) - 1, ms(BERLIN, 2026, 10, 26)]


@pytest.mark.parametrize(
    ("tz", "instants"),
    [(HCM, [HCM_MIDNIGHT - 1, HCM_MIDNIGHT, HCM_MIDNIGHT + 1]), (BERLIN, SPRING), (BERLIN, AUTUMN)],
)
def test_day_edges_match_a_fresh_conversion(tz: ZoneInfo, instants: list[int]) -> None:
    # Forward, then backward: each answer from the remembered day or a new conversion.
    for now in [*instants, *reversed(instants)]:
        for probe in (now - 1, now, now + 1):
            assert local_day(probe, tz) == converted(probe, tz), probe


def test_zones_are_remembered_apart() -> None:
    now = ms(HCM, 2026, 11, 28, 5, 0)  # 23:00 on the 27th in Berlin
    assert local_day(now, HCM) == "2026-11-28"
    assert local_day(now, BERLIN) == "2026-11-27"
    assert local_day(now, HCM) == "2026-11-28"
