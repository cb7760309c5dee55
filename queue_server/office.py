"""The office: its fields of service and their procedures, counters, priority classes,
calendar, appointment rules, ratings and printers, as frozen objects.

The codes an office is addressed by are checked by the patterns below; how each value is
read and bounded is `queue_server.config.bounds` (one table, used by the config reader and
the manager console's forms alike).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from printer import PrintOptions
from queue_server.rules.calendar import NORTHERN_SEASONS, Calendar
from queue_server.rules.speech import LETTER_NAMES, AnnounceStyle

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
FIELD_CODE_RE = re.compile(r"^[A-Z0-9]{1,8}$")
# A ticket number's prefix: one capital letter the board can say (Vietnamese ones included).
PREFIX_RE = re.compile(f"^[{''.join(LETTER_NAMES)}]$")
# Procedure codes are path segments of the console and guide URLs, national codes included
# ("1.001193.000.00.00.H12").
PROCEDURE_CODE_RE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
# "normal" is the class of tickets without priority.
PRIORITY_CODE_RE = re.compile(r"^(?!normal$)[a-z][a-z_]{0,31}$")
PRINTER_URL_RE = re.compile(r"^(tcp|serial|usb|file|dummy):")
APPOINTMENT = "appointment"
PrinterDriver = Literal["server", "agent"]


@dataclass(frozen=True)
class Procedure:
    code: str
    name_vi: str
    name_en: str
    legal_days: int
    no_wait: bool = False
    documents: tuple[str, ...] = ()
    fee: str = ""


@dataclass(frozen=True)
class Field:
    code: str
    prefix: str
    name_vi: str
    name_en: str
    first_number: int
    last_number: int
    service_minutes: float
    target_wait_minutes: int
    procedures: tuple[Procedure, ...] = ()

    def format_number(self, n: int) -> str:
        width = max(3, len(str(self.last_number)))
        return f"{self.prefix}{n:0{width}d}"


@dataclass(frozen=True)
class Counter:
    number: int
    name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class PriorityClass:
    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class Appointments:
    """How an office offers appointments (`[offices.appointments]`).

    `capacity` None means derived per field from the counters serving it
    (`rules.slots.slot_capacity`)."""

    slot_minutes: int = 30
    capacity: int | None = None
    walk_in_share: float = 0.3
    horizon_days: int = 30
    min_notice_minutes: int = 60
    max_active_per_phone: int = 2
    check_in_early_minutes: int = 30
    check_in_late_minutes: int = 15
    no_show_grace_minutes: int = 30
    reminder_hour: int = 17
    bookings_per_ip_per_hour: int = 20
    bookings_per_phone_per_day: int = 5


@dataclass(frozen=True)
class Ratings:
    """How citizens rate the service (`[offices.ratings]`): 4 levels (rất hài lòng … không
    hài lòng) or 5 (adds rất không hài lòng). Level 1 is the best."""

    levels: int = 4


@dataclass(frozen=True)
class Printer:
    """A thermal printer of an office (`[[offices.printers]]`).

    `driver` "server": a network printer the server drives itself; "agent": a USB or serial
    printer on a kiosk PC, driven by `python -m printer.agent` there (`url` is then the
    agent's default device address)."""

    name: str
    url: str
    driver: PrinterDriver
    options: PrintOptions = field(default_factory=PrintOptions)


@dataclass(frozen=True)
class Office:
    slug: str
    name: str
    address: str
    timezone: str
    open_kiosk: bool
    interleave: int
    announce: AnnounceStyle
    fields: tuple[Field, ...]
    counters: tuple[Counter, ...]
    priorities: tuple[PriorityClass, ...]
    ticket_footer: str = ""
    calendar: Calendar = field(default_factory=lambda: Calendar(NORTHERN_SEASONS))
    cutoff: time = time(15, 0)
    walk_in_stop_minutes: int = 15
    appointments: Appointments = field(default_factory=Appointments)
    printers: tuple[Printer, ...] = ()
    ratings: Ratings = field(default_factory=Ratings)
    # Slips carry English under the Vietnamese (so far the apology slip).
    print_bilingual: bool = False
    # The TOML table this office was read from: what a manager's change edits and what an
    # export writes back, so a round trip goes through the same validation as the file.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # Looked up for every request: indexed once per Office object (a manager's change
    # makes a new one), in its __dict__, which a frozen dataclass's eq and replace ignore.
    @functools.cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @functools.cached_property
    def _fields(self) -> dict[str, Field]:
        return {f.code: f for f in reversed(self.fields)}

    @functools.cached_property
    def _counters(self) -> dict[int, Counter]:
        return {c.number: c for c in reversed(self.counters)}

    @functools.cached_property
    def _priorities(self) -> dict[str, PriorityClass]:
        return {p.code: p for p in reversed(self.priorities)}

    def field(self, code: str) -> Field | None:
        return self._fields.get(code)

    def counter(self, number: int) -> Counter | None:
        return self._counters.get(number)

    def priority(self, code: str) -> PriorityClass | None:
        return self._priorities.get(code)

    def printer(self, name: str) -> Printer | None:
        return next((p for p in self.printers if p.name == name), None)


DEFAULT_PRIORITIES = (
    PriorityClass("elderly", "Người cao tuổi", "Elderly"),
    PriorityClass("disabled", "Người khuyết tật", "Person with disability"),
    PriorityClass("pregnant", "Phụ nữ mang thai", "Pregnant woman"),
    PriorityClass("meritorious", "Người có công với cách mạng", "Person with meritorious service"),
    PriorityClass(APPOINTMENT, "Có lịch hẹn", "Appointment"),
)
