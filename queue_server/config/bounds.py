"""Every value of an office table, with its type and bounds, written once.

The config reader (`queue_server.config.reader`) reads each value through its `Bound`, and
the manager console's forms (`queue_server.web.manage.forms`) check what a manager typed
against the same `Bound`, so a value accepted in `config.toml` is accepted by the form and
the other way round. A key is a dotted path inside one `[[offices]]` table, `[]` standing for
each entry of an array of tables: ``fields[].procedures[].legal_days``.

`input` names the console's input for the value: the key's last part unless given. Where a
page has one input per entry of a list, the entry's index ends the name
(``season_weekdays_1`` for ``calendar.seasons[1].weekdays``). A reader error names the key;
`locate` finds the bound, and so the input, from it.

The caps are meant never to refuse what a real office needs: docs/manager.md, "Settings
and their bounds", lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, Literal

from queue_server.office import (
    FIELD_CODE_RE,
    PREFIX_RE,
    PRINTER_URL_RE,
    PRIORITY_CODE_RE,
    PROCEDURE_CODE_RE,
    SLUG_RE,
)

Kind = Literal[
    "integer",  # lo..hi, both included
    "number",  # lo..hi, `lo_open`/`hi_open` leave an end out
    "text",  # at most `max_len` characters, matching `pattern` if given
    "flag",
    "choice",  # one of `choices`
    "texts",  # a list of strings: at most `max_items`, each at most `max_len` characters
    "dates",  # a list of TOML dates, at most `max_items`
    "date",  # a TOML date
    "time",  # "HH:MM"
    "month_day",  # "MM-DD"
    "sessions",  # [["07:30", "12:00"], ...]
    "timezone",  # an IANA name such as "Asia/Ho_Chi_Minh"
    "tables",  # an array of tables, at most `max_items`
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final[Any] = _Required()


@dataclass(frozen=True)
class Pattern:
    """A text's shape. `name` names it for the console (its message is
    ``manage.err.<name>``); `reason` is the reader's, for the operator."""

    name: str
    regex: re.Pattern[str]
    reason: str


@dataclass(frozen=True)
class Bound:
    """One value of an office table: its key, its kind and what it may be."""

    key: str
    kind: Kind
    # REQUIRED: the key must be given; None: it may be left out (no value).
    default: Any = REQUIRED
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    max_len: int | None = None
    max_items: int | None = None
    pattern: Pattern | None = None
    choices: tuple[Any, ...] = ()
    input: str = ""

    @property
    def name(self) -> str:
        """The key's last part: the name inside its table."""
        return self.key.rsplit(".", 1)[-1].removesuffix("[]")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def form_name(self, *indexes: int) -> str:
        """The console input for this value (of the list entries `indexes`), "" for an
        array of tables, which no input edits as a whole."""
        if self.kind == "tables":
            return ""
        return (self.input or self.name) + "".join(f"_{i}" for i in indexes)

    def contains(self, value: float) -> bool:
        lo_ok = self.lo is None or (value > self.lo if self.lo_open else value >= self.lo)
        hi_ok = self.hi is None or (value < self.hi if self.hi_open else value <= self.hi)
        return lo_ok and hi_ok


def _text(key: str, default: Any = REQUIRED, max_len: int | None = None, **kw: Any) -> Bound:
    return Bound(key, "text", default, max_len=max_len, **kw)


def _int(key: str, default: Any, lo: int, hi: int) -> Bound:
    return Bound(key, "integer", default, lo=lo, hi=hi)


SLUG = Pattern("slug", SLUG_RE, "must be lower-case letters, digits and '-', e.g. phuong-ba-dinh")
FIELD_CODE = Pattern("field_code", FIELD_CODE_RE, "must be 1-8 capital letters or digits, e.g. HT")
PREFIX = Pattern("prefix", PREFIX_RE, "must be one capital letter")
PROCEDURE_CODE = Pattern(
    "procedure_code", PROCEDURE_CODE_RE, "must be 1-40 letters, digits, '.', '-' or '_'"
)
PRIORITY_CODE = Pattern(
    "priority_code", PRIORITY_CODE_RE, "must be lower-case letters, not 'normal'"
)
PRINTER_NAME = Pattern(
    "printer_name", SLUG_RE, "must be lower-case letters, digits and '-', e.g. kiosk-1"
)
PRINTER_URL = Pattern(
    "printer_url", PRINTER_URL_RE, "must be tcp://HOST:9100, serial://…, usb://VID:PID, file://…"
)

OFFICE_BOUNDS: Final[tuple[Bound, ...]] = (
    _text("slug", pattern=SLUG),
    _text("name", max_len=200),
    _text("address", "", 200),
    Bound("timezone", "timezone", "Asia/Ho_Chi_Minh"),
    Bound("open_kiosk", "flag", False),
    Bound("print_bilingual", "flag", False),
    _int("interleave", 2, 1, 100),
    Bound("announce", "choice", "digits", choices=("digits", "number")),
    _text("ticket_footer", "", 200),
    # Fields of service, each one ticket series.
    Bound("fields", "tables"),
    _text("fields[].code", pattern=FIELD_CODE),
    _text("fields[].prefix", pattern=PREFIX),
    _text("fields[].name_vi", max_len=120),
    _text("fields[].name_en", max_len=120),
    _int("fields[].first_number", 1, 0, 99_998),
    _int("fields[].last_number", 999, 1, 99_999),
    Bound("fields[].service_minutes", "number", 10.0, lo=0, hi=600, lo_open=True),
    _int("fields[].target_wait_minutes", 20, 1, 1440),
    Bound("fields[].procedures", "tables", ()),
    _text("fields[].procedures[].code", pattern=PROCEDURE_CODE),
    # Official names of procedures run past 300 characters.
    _text("fields[].procedures[].name_vi", max_len=500),
    _text("fields[].procedures[].name_en", "", 500),  # "": the Vietnamese name
    _int("fields[].procedures[].legal_days", REQUIRED, 0, 365),
    Bound("fields[].procedures[].no_wait", "flag", False),
    Bound("fields[].procedures[].documents", "texts", (), max_len=1000, max_items=100),
    _text("fields[].procedures[].fee", "", 500),
    # Counters and the fields each serves, in calling order.
    Bound("counters", "tables"),
    _int("counters[].number", REQUIRED, 1, 999),
    _text("counters[].name", "", 60),  # "": "Quầy {number}"
    Bound("counters[].fields", "texts"),
    Bound("priorities", "tables", (), max_items=50),
    _text("priorities[].code", pattern=PRIORITY_CODE),
    _text("priorities[].name_vi", max_len=80),
    _text("priorities[].name_en", max_len=80),
    # [offices.calendar]
    Bound("calendar.cutoff", "time", "15:00"),
    # Up to the whole day: an office may take walk-ins in the morning only.
    _int("calendar.walk_in_stop_minutes", 15, 0, 600),
    Bound("calendar.extra_days_off", "dates", (), max_items=500),
    Bound("calendar.extra_working_days", "dates", (), max_items=500),
    Bound("calendar.seasons", "tables", (), max_items=20),
    _text("calendar.seasons[].name", max_len=40, input="season_name"),
    Bound("calendar.seasons[].from", "month_day", input="season_from"),
    Bound("calendar.seasons[].to", "month_day", input="season_to"),
    Bound("calendar.seasons[].weekdays", "sessions", input="season_weekdays"),
    Bound("calendar.seasons[].saturday", "sessions", (), input="season_saturday"),
    Bound("calendar.swaps", "tables", (), max_items=200),
    Bound("calendar.swaps[].day_off", "date", input="swap_off"),
    Bound("calendar.swaps[].worked_on", "date", input="swap_on"),
    _text("calendar.swaps[].note", "", 120, input="swap_note"),
    # [offices.appointments]
    _int("appointments.slot_minutes", 30, 5, 240),
    _int("appointments.capacity", None, 0, 1000),  # None: from the counters
    # The console takes it as a whole percentage.
    Bound(
        "appointments.walk_in_share",
        "number",
        0.3,
        lo=0,
        hi=1,
        hi_open=True,
        input="walk_in_percent",
    ),
    _int("appointments.horizon_days", 30, 0, 365),
    _int("appointments.min_notice_minutes", 60, 0, 30 * 24 * 60),
    _int("appointments.max_active_per_phone", 2, 1, 50),
    _int("appointments.check_in_early_minutes", 30, 0, 600),
    _int("appointments.check_in_late_minutes", 15, 0, 600),
    _int("appointments.no_show_grace_minutes", 30, 0, 600),
    _int("appointments.reminder_hour", 17, 0, 23),
    _int("appointments.bookings_per_ip_per_hour", 20, 1, 100_000),
    _int("appointments.bookings_per_phone_per_day", 5, 1, 1000),
    Bound("ratings.levels", "choice", 4, choices=(4, 5)),
    # Printers; their paper, mode, code page and cut are checked by printer.render.PrintOptions.
    Bound("printers", "tables", ()),
    _text("printers[].name", pattern=PRINTER_NAME),
    _text("printers[].url", pattern=PRINTER_URL),
    # None: "server" for a tcp:// printer, else "agent".
    Bound("printers[].driver", "choice", None, choices=("server", "agent")),
)

BOUNDS: Final[dict[str, Bound]] = {b.key: b for b in OFFICE_BOUNDS}

_INDEX = re.compile(r"\[(\d+)\]")
_LAST = re.compile(r"(\.[^.\[]+|\[\])$")


def locate(key: str) -> tuple[Bound, tuple[int, ...]] | None:
    """The bound of an office-relative key as the reader names it, and the indexes of the
    list entries on its way, or None:

    >>> found = locate("calendar.seasons[1].weekdays[0]")
    >>> found and (found[0].key, found[1])
    ('calendar.seasons[].weekdays', (1,))
    """
    indexes = tuple(int(i) for i in _INDEX.findall(key))
    shape = _INDEX.sub("[]", key)
    while shape:
        if shape in BOUNDS:
            return BOUNDS[shape], indexes[: shape.count("[]")]
        shape = _LAST.sub("", shape)
    return None
