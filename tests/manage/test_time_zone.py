"""The office's time zone, said on every console page: the times it shows and takes are
the office's wall clock."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from queue_server.web.manage.console import utc_offset_label
from tests.support.console import OFFICE, Session


@pytest.mark.parametrize(
    ("offset", "label"),
    [
        (timedelta(hours=7), "UTC+7"),
        (timedelta(hours=5, minutes=30), "UTC+5:30"),
        (timedelta(hours=-3), "UTC-3"),
        (timedelta(hours=-9, minutes=-30), "UTC-9:30"),
        (timedelta(0), "UTC"),
    ],
)
def test_utc_offset_label(offset: timedelta, label: str) -> None:
    assert utc_offset_label(offset) == label


@pytest.mark.parametrize("page", ["", "/calendar", "/staff", "/reports"])
async def test_console_pages_name_the_time_zone(manager: Session, page: str) -> None:
    vi = await manager.get(f"/manage/{OFFICE}{page}")
    zone = re.search(r'id="time-zone">([^<]+)<', vi.text)
    assert zone is not None and zone[1] == "Múi giờ: Asia/Ho_Chi_Minh (UTC+7)"
    en = await manager.get(f"/manage/{OFFICE}{page}?lang=en")
    assert 'id="time-zone">Time zone: Asia/Ho_Chi_Minh (UTC+7)<' in en.text
