from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from queue_server import config as config_mod
from queue_server.services.appointments import AppointmentService
from queue_server.services.clock import FixedClock
from queue_server.services.offices import OfficeRegistry
from queue_server.services.queue import QueueService
from queue_server.store.bookings import BookingStore
from queue_server.store.offices import OfficeSettings


def with_appointments(cfg: config_mod.Config, **changes: Any) -> config_mod.Config:
    """The config with the demo office's appointment settings changed."""
    office = cfg.offices[0]
    office = dataclasses.replace(
        office, appointments=dataclasses.replace(office.appointments, **changes)
    )
    return dataclasses.replace(cfg, offices=(office, *cfg.offices[1:]))


@pytest.fixture
def cap3(config: config_mod.Config) -> config_mod.Config:
    """Slots of exactly 3 bookable places."""
    return with_appointments(config, capacity=3, walk_in_share=0.0)


@pytest.fixture
def appointments(r: Any, cap3: config_mod.Config, clock: FixedClock) -> AppointmentService:
    from queue_server.store.queue import QueueStore

    offices = OfficeRegistry(cap3, OfficeSettings(r))
    queue = QueueService(cap3, QueueStore(r), clock, offices)
    return AppointmentService(cap3, BookingStore(r), queue, clock)
