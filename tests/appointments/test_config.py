"""`[offices.calendar]` and `[offices.appointments]`: the demo values, and errors that name
file, key and reason."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from queue_server.config import load
from queue_server.errors import ConfigError
from queue_server.rules.calendar import hours_on, is_working_day

DEMO = Path(__file__).resolve().parents[2] / "config.toml"


def test_demo_calendar_has_the_northern_seasons_and_the_real_swaps() -> None:
    office = load(DEMO).offices[0]
    cal = office.calendar
    assert office.cutoff == time(15, 0) and office.walk_in_stop_minutes == 15
    assert [s.name for s in cal.seasons] == ["winter", "summer"]
    assert hours_on(cal, date(2026, 1, 5))[0].start == time(7, 30)  # winter
    assert hours_on(cal, date(2026, 6, 1))[0].start == time(7, 0)  # summer
    assert not is_working_day(cal, date(2025, 5, 2)) and is_working_day(cal, date(2025, 4, 26))
    assert not is_working_day(cal, date(2026, 1, 2)) and is_working_day(cal, date(2026, 1, 10))
    assert all(not is_working_day(cal, date(2026, 2, d)) for d in range(14, 23))
    a = office.appointments
    assert (a.slot_minutes, a.capacity, a.walk_in_share) == (30, None, 0.3)
    assert a.max_active_per_phone == 2


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ('cutoff = "15:00"', 'cutoff = "3pm"', "offices[0].calendar.cutoff",
         'must be a time like "15:00"'),
        ('from = "10-16"', 'from = "10-32"', "offices[0].calendar.seasons[0].from",
         "is not a day of the year"),
        ('to = "10-15"', 'to = "10-14"', "offices[0].calendar.seasons",
         "15/10 must be in exactly one season, found: none"),
        ('weekdays = [["07:30", "12:00"], ["13:00", "16:30"]]',
         'weekdays = [["07:30", "12:00"], ["11:00", "16:30"]]',
         "offices[0].calendar.seasons[0].weekdays", "must be in order and not overlap"),
        ("extra_days_off = []", "extra_days_off = [2025-04-26]", "offices[0].calendar.swaps",
         "both an extra day off and an extra working day: 2025-04-26"),
        ("worked_on = 2025-04-26", 'worked_on = "26/4"',
         "offices[0].calendar.swaps[0].worked_on", "must be a TOML date"),
        ("walk_in_share = 0.3", "walk_in_share = 1.5", "offices[0].appointments.walk_in_share",
         "must be from 0 up to"),
        ("slot_minutes = 30", "slot_minutes = 2", "offices[0].appointments.slot_minutes",
         "must be at least 5"),
        ("reminder_hour = 17", "reminder_hour = 24", "offices[0].appointments.reminder_hour",
         "must be at most 23"),
    ],
)  # fmt: skip
def test_wrong_values_name_file_key_and_reason(
    tmp_path: Path, old: str, new: str, key: str, reason: str
) -> None:
    text = DEMO.read_text("utf-8")
    assert old in text
    path = tmp_path / "config.toml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert info.value.file == str(path)
    assert info.value.key == key
    assert reason in info.value.reason
