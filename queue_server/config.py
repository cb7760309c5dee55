"""Configuration: `config.toml` read once at start into frozen, validated objects.

A wrong or missing value raises `ConfigError(file, key, reason)`, so the start stops with a
message such as ``config.toml: offices[0].fields[2].prefix: must be one capital letter``.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from printer.errors import InvalidPrintData
from printer.render import PrintOptions
from queue_server.errors import ConfigError
from queue_server.network import is_loopback, listening_url
from queue_server.rules.calendar import (
    NORTHERN_SEASONS,
    Calendar,
    DayHours,
    Season,
    Session,
    WorkdaySwap,
    apply_swaps,
)

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
FIELD_CODE_RE = re.compile(r"^[A-Z0-9]{1,8}$")
PRIORITY_CODE_RE = re.compile(r"^[a-z][a-z_]{0,31}$")
APPOINTMENT = "appointment"
AnnounceStyle = Literal["digits", "number"]
FsyncPolicy = Literal["always", "everysec", "no"]
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


@dataclass(frozen=True)
class RedisConfig:
    url: str | None
    appendfsync: FsyncPolicy

    @property
    def cluster(self) -> bool:
        """A Redis Cluster (or Valkey cluster): `redis+cluster://` or `rediss+cluster://`."""
        return self.url is not None and self.url.startswith(CLUSTER_SCHEMES)


CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://", *CLUSTER_SCHEMES)


@dataclass(frozen=True)
class ClusterSeeds:
    """Where a cluster client starts: any node(s) of the cluster; it finds the others."""

    nodes: tuple[tuple[str, int], ...]
    username: str | None
    password: str | None
    tls: bool


def cluster_seeds(url: str) -> ClusterSeeds:
    """`redis+cluster://[user:password@]host[:port][,host[:port]...]` (`rediss+` for TLS).

    >>> cluster_seeds("redis+cluster://10.0.0.1:7000,10.0.0.2").nodes
    (('10.0.0.1', 7000), ('10.0.0.2', 6379))

    Raises ValueError with a reason for the operator."""
    scheme, sep, rest = url.partition("://")
    if not sep or f"{scheme}://" not in CLUSTER_SCHEMES:
        raise ValueError("a cluster URL starts with redis+cluster:// or rediss+cluster://")
    if "?" in rest or "#" in rest:
        raise ValueError("a cluster URL takes no ?options or #fragment")
    netloc, _, path = rest.partition("/")
    if path not in ("", "0"):
        raise ValueError(f"a cluster has only database 0, not /{path}")
    userinfo, at, hosts = netloc.rpartition("@")
    username = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
    nodes = []
    for item in hosts.split(","):
        if item.startswith("["):  # [IPv6]:port
            host, _, port_text = item[1:].partition("]")
            port_text = port_text.removeprefix(":")
        else:
            host, _, port_text = item.partition(":")
        if not host:
            raise ValueError(f"a cluster URL needs host[:port] of at least one node, not {item!r}")
        try:
            port = int(port_text) if port_text else 6379
        except ValueError:
            raise ValueError(f"port of {item!r} must be a number") from None
        if not 0 < port < 65536:
            raise ValueError(f"port of {item!r} must be between 1 and 65535")
        nodes.append((host, port))
    return ClusterSeeds(tuple(nodes), username, password, scheme == "rediss+cluster")


def check_redis_url(url: str) -> None:
    """Raises ValueError with a reason if `url` is not one sothutu can connect to."""
    if not url.startswith(REDIS_SCHEMES):
        raise ValueError(
            f"must start with redis://, rediss://, unix:// or redis+cluster://, not {url!r}"
        )
    if url.startswith(CLUSTER_SCHEMES):
        cluster_seeds(url)
        return
    parts = urlsplit(url)
    protocol = parse_qs(parts.query).get("protocol", [])
    if protocol and protocol != ["2"]:
        # redis-py speaks RESP3 by default but hands replies over in RESP2's shapes; with
        # protocol=3 asked for, it hands the hub's blocking stream reads over in another.
        raise ValueError(
            f"protocol={protocol[-1]} is not supported: leave it out (or use protocol=2)"
        )
    if parts.scheme == "unix":
        if not parts.path:
            raise ValueError("a unix:// URL needs the socket's path, e.g. unix:///run/redis.sock")
        return
    if not parts.hostname:
        raise ValueError("needs a host, e.g. redis://127.0.0.1:6379/0")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ValueError(f"the database after the host must be a number, not /{db}")
    try:
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError as exc:
        raise ValueError(f"bad port: {exc}") from None


@dataclass(frozen=True)
class HeadLimits:
    """What a request's head may hold before it is refused with 431 (a request line longer
    than `line_bytes`: 414). nginx's and Apache's defaults: 8 KB per line, 100 fields, and
    the whole head within nginx's four 8 KB buffers."""

    line_bytes: int = 8 * 1024
    count: int = 100
    total_bytes: int = 32 * 1024


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    # None: links and QR codes follow the address each request came in on (network.py).
    public_url: str | None
    data_dir: Path
    max_body_bytes: int
    heartbeat_s: float
    # A body not in full this long after its head is answered 408.
    body_timeout_s: float = 10.0
    head_limits: HeadLimits = HeadLimits()

    def base_url(self) -> str:
        """The address for links made outside a request (a print job, a reminder): the
        public URL if set, else the address this server listens on (its LAN address when
        it listens on every interface)."""
        return self.public_url or listening_url(self.host, self.port)

    def address_warning(self, file: str) -> str | None:
        """What is wrong with `public_url` (read from `file`) for a server listening on the
        network, or None."""
        if (
            not self.public_url
            or is_loopback(self.host)
            or not is_loopback(urlsplit(self.public_url).hostname)
        ):
            return None
        return (
            f"server.public_url = {self.public_url!r} is a loopback address while the server "
            f"listens on {self.host}: phones cannot open the ticket QR codes. Remove "
            f"server.public_url from {file} (links then use the address each "
            f"device uses) or set it to this machine's address, e.g. "
            f"{listening_url(self.host, self.port)}"
        )


@dataclass(frozen=True)
class Config:
    path: Path
    server: ServerConfig
    redis: RedisConfig
    offices: tuple[Office, ...] = field(default=())
    # Where reminders go: "log:" (default), or "smtp://host:port?from=…&to={phone}@gateway".
    notify_url: str = "log:"

    def office(self, slug: str) -> Office | None:
        return next((o for o in self.offices if o.slug == slug), None)


class _Reader:
    """Typed access to one TOML table, naming the full key in every error."""

    def __init__(self, file: str, table: Mapping[str, Any], prefix: str) -> None:
        self.file = file
        self.data = table
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, reason: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), reason)

    def _get(self, name: str, kind: type | tuple[type, ...], default: Any, what: str) -> Any:
        if name not in self.data:
            if default is _REQUIRED:
                raise self.fail(name, "is missing")
            return default
        value = self.data[name]
        if isinstance(value, bool) and kind is not bool:
            raise self.fail(name, f"must be {what}, not true/false")
        if not isinstance(value, kind):
            raise self.fail(name, f"must be {what}, not {type(value).__name__}")
        return value

    def text(self, name: str, default: Any = None) -> str:
        d = _REQUIRED if default is None else default
        value: str = self._get(name, str, d, "a string")
        return value

    def opt_str(self, name: str) -> str | None:
        value: str | None = self._get(name, str, None, "a string")
        return value

    def integer(
        self, name: str, default: Any = None, lo: int | None = None, hi: int | None = None
    ) -> int:
        value: int = self._get(name, int, _REQUIRED if default is None else default, "an integer")
        if lo is not None and value < lo:
            raise self.fail(name, f"must be at least {lo}, not {value}")
        if hi is not None and value > hi:
            raise self.fail(name, f"must be at most {hi}, not {value}")
        return value

    def number(self, name: str, default: Any = None, lo: float = 0.0) -> float:
        d = _REQUIRED if default is None else default
        value = self._get(name, (int, float), d, "a number")
        if value <= lo:
            raise self.fail(name, f"must be greater than {lo:g}")
        return float(value)

    def flag(self, name: str, default: bool) -> bool:
        value: bool = self._get(name, bool, default, "true or false")
        return value

    def str_list(self, name: str, default: Any = None) -> tuple[str, ...]:
        value = self._get(name, list, _REQUIRED if default is None else default, "a list")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{name}[{i}]", "must be a string")
        return tuple(value)

    def clock_time(self, name: str, default: str) -> time:
        value = self.text(name, default)
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise self.fail(name, f'must be a time like "15:00", not {value!r}') from None

    def date_list(self, name: str) -> frozenset[date]:
        value = self._get(name, list, [], "a list of dates")
        for i, item in enumerate(value):
            if not isinstance(item, date) or hasattr(item, "hour"):
                raise self.fail(f"{name}[{i}]", "must be a TOML date such as 2026-01-02")
        return frozenset(value)

    def sessions(self, name: str, default: Any = None) -> DayHours:
        """A list of ["HH:MM", "HH:MM"] pairs, e.g. [["07:30", "12:00"], ["13:00", "16:30"]]."""
        value = self._get(name, list, _REQUIRED if default is None else default, "a list")
        out = []
        for i, pair in enumerate(value):
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(x, str) for x in pair)
            ):
                raise self.fail(f"{name}[{i}]", 'must be a pair like ["07:30", "12:00"]')
            try:
                out.append(Session(time.fromisoformat(pair[0]), time.fromisoformat(pair[1])))
            except ValueError as exc:
                raise self.fail(f"{name}[{i}]", str(exc)) from None
        try:
            return DayHours(tuple(out))
        except ValueError as exc:
            raise self.fail(name, str(exc)) from None

    def tables(self, name: str, required: bool = True) -> list[_Reader]:
        value = self._get(name, list, _REQUIRED if required else [], "an array of tables")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"{name}[{i}]", "must be a table")
            out.append(_Reader(self.file, item, f"{self.key(name)}[{i}]"))
        return out

    def table(self, name: str) -> _Reader:
        value = self._get(name, dict, {}, "a table")
        return _Reader(self.file, value, self.key(name))


_REQUIRED = object()


def _month_day(r: _Reader, name: str) -> tuple[int, int]:
    value = r.text(name)
    m = re.fullmatch(r"(\d{2})-(\d{2})", value)
    if m is None:
        raise r.fail(name, f'must be "MM-DD", e.g. "10-16", not {value!r}')
    try:
        date(2000, int(m[1]), int(m[2]))
    except ValueError:
        raise r.fail(name, f"{value!r} is not a day of the year") from None
    return int(m[1]), int(m[2])


def _calendar(r: _Reader) -> tuple[Calendar, time, int]:
    """`[offices.calendar]`: seasons, Saturday sessions, overrides, swaps, cut-off."""
    seasons = []
    for s in r.tables("seasons", required=False):
        weekdays = dict.fromkeys(range(5), s.sessions("weekdays"))
        saturday = s.sessions("saturday", [])
        if saturday.sessions:
            weekdays[5] = saturday
        seasons.append(Season(s.text("name"), _month_day(s, "from"), _month_day(s, "to"), weekdays))
    swaps = []
    for w in r.tables("swaps", required=False):
        day_off, worked_on = w.data.get("day_off"), w.data.get("worked_on")
        for name, value in (("day_off", day_off), ("worked_on", worked_on)):
            if not isinstance(value, date) or hasattr(value, "hour"):
                raise w.fail(name, "must be a TOML date such as 2026-01-10")
        assert isinstance(day_off, date) and isinstance(worked_on, date)
        swaps.append(WorkdaySwap(day_off, worked_on, w.text("note", "")))
    try:
        cal = Calendar(
            seasons=tuple(seasons) or NORTHERN_SEASONS,
            extra_days_off=r.date_list("extra_days_off"),
            extra_working_days=r.date_list("extra_working_days"),
        )
        cal = apply_swaps(cal, swaps)
    except ValueError as exc:
        raise r.fail("seasons" if "season" in str(exc) else "swaps", str(exc)) from None
    return cal, r.clock_time("cutoff", "15:00"), r.integer("walk_in_stop_minutes", 15, lo=0)


def _appointments(r: _Reader) -> Appointments:
    share = r._get("walk_in_share", (int, float), 0.3, "a number")
    if not 0 <= share < 1:
        raise r.fail("walk_in_share", f"must be from 0 up to (not including) 1, not {share}")
    capacity = r.data.get("capacity")
    return Appointments(
        slot_minutes=r.integer("slot_minutes", 30, lo=5, hi=240),
        capacity=None if capacity is None else r.integer("capacity", lo=0, hi=1000),
        walk_in_share=float(share),
        horizon_days=r.integer("horizon_days", 30, lo=0, hi=365),
        min_notice_minutes=r.integer("min_notice_minutes", 60, lo=0),
        max_active_per_phone=r.integer("max_active_per_phone", 2, lo=1, hi=50),
        check_in_early_minutes=r.integer("check_in_early_minutes", 30, lo=0, hi=600),
        check_in_late_minutes=r.integer("check_in_late_minutes", 15, lo=0, hi=600),
        no_show_grace_minutes=r.integer("no_show_grace_minutes", 30, lo=0, hi=600),
        reminder_hour=r.integer("reminder_hour", 17, lo=0, hi=23),
        bookings_per_ip_per_hour=r.integer("bookings_per_ip_per_hour", 20, lo=1),
        bookings_per_phone_per_day=r.integer("bookings_per_phone_per_day", 5, lo=1),
    )


def _rating_levels(r: _Reader) -> int:
    levels = r.integer("levels", 4)
    if levels not in (4, 5):
        raise r.fail("levels", f"must be 4 or 5, not {levels}")
    return levels


def _printer(r: _Reader) -> Printer:
    name = r.text("name")
    if not SLUG_RE.match(name):
        raise r.fail("name", "must be lower-case letters, digits and '-', e.g. kiosk-1")
    url = r.text("url")
    if not re.match(r"^(tcp|serial|usb|file|dummy):", url):
        raise r.fail("url", "must be tcp://HOST:9100, serial://…, usb://VID:PID, file://…")
    driver = r.text("driver", "server" if url.startswith("tcp:") else "agent")
    if driver not in ("server", "agent"):
        raise r.fail("driver", "must be 'server' (network printer) or 'agent' (kiosk PC)")
    options: dict[str, Any] = {
        "paper_width": r.integer("paper", 80),
        "mode": r.text("mode", "raster"),
        "codepage": r.text("codepage", "tcvn3"),
        "cut": r.text("cut", "partial"),
    }
    if "codepage_numbers" in r.data:
        options["codepage_numbers"] = r.data["codepage_numbers"]
    try:
        print_options = PrintOptions.from_dict(options)
    except InvalidPrintData as exc:
        key = {"paper_width": "paper"}.get(exc.field, exc.field)
        raise r.fail(key, exc.reason) from None
    return Printer(name, url, "server" if driver == "server" else "agent", print_options)


def _procedure(r: _Reader) -> Procedure:
    return Procedure(
        code=r.text("code"),
        name_vi=r.text("name_vi"),
        name_en=r.text("name_en", r.data.get("name_vi", "")),
        legal_days=r.integer("legal_days", lo=0, hi=365),
        no_wait=r.flag("no_wait", False),
        documents=r.str_list("documents", []),
        fee=r.text("fee", ""),
    )


def _field(r: _Reader) -> Field:
    code = r.text("code")
    if not FIELD_CODE_RE.match(code):
        raise r.fail("code", "must be 1-8 capital letters or digits, e.g. HT")
    prefix = r.text("prefix")
    if len(prefix) != 1 or not prefix.isalpha() or not prefix.isupper():
        raise r.fail("prefix", f"must be one capital letter, not {prefix!r}")
    first = r.integer("first_number", 1, lo=0, hi=99998)
    last = r.integer("last_number", 999, lo=1, hi=99999)
    if last <= first:
        raise r.fail("last_number", f"must be greater than first_number ({first})")
    procedures = tuple(_procedure(p) for p in r.tables("procedures", required=False))
    _unique(r, "procedures", [p.code for p in procedures], "code")
    return Field(
        code=code,
        prefix=prefix,
        name_vi=r.text("name_vi"),
        name_en=r.text("name_en"),
        first_number=first,
        last_number=last,
        service_minutes=r.number("service_minutes", 10.0),
        target_wait_minutes=r.integer("target_wait_minutes", 20, lo=1),
        procedures=procedures,
    )


def _unique(r: _Reader, name: str, values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise r.fail(f"{name}[{i}].{what}", f"{v!r} is used twice")
        seen.add(v)


DEFAULT_PRIORITIES = (
    PriorityClass("elderly", "Người cao tuổi", "Elderly"),
    PriorityClass("disabled", "Người khuyết tật", "Person with disability"),
    PriorityClass("pregnant", "Phụ nữ mang thai", "Pregnant woman"),
    PriorityClass("meritorious", "Người có công với cách mạng", "Person with meritorious service"),
    PriorityClass(APPOINTMENT, "Có lịch hẹn", "Appointment"),
)


def _office(r: _Reader) -> Office:
    slug = r.text("slug")
    if not SLUG_RE.match(slug):
        raise r.fail("slug", "must be lower-case letters, digits and '-', e.g. phuong-ba-dinh")
    tz = r.text("timezone", "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise r.fail("timezone", f"unknown time zone {tz!r}") from exc
    fields = tuple(_field(f) for f in r.tables("fields"))
    if not fields:
        raise r.fail("fields", "needs at least one field of service")
    _unique(r, "fields", [f.code for f in fields], "code")
    _unique(r, "fields", [f.prefix for f in fields], "prefix")
    codes = {f.code for f in fields}
    counters = []
    for c in r.tables("counters"):
        served = c.str_list("fields")
        if not served:
            raise c.fail("fields", "must name at least one field")
        for i, code in enumerate(served):
            if code not in codes:
                raise c.fail(f"fields[{i}]", f"unknown field {code!r}; known: {sorted(codes)}")
        counters.append(Counter(c.integer("number", lo=1, hi=999), c.text("name", ""), served))
    if not counters:
        raise r.fail("counters", "needs at least one counter")
    counters = [Counter(c.number, c.name or f"Quầy {c.number}", c.fields) for c in counters]
    _unique(r, "counters", [c.number for c in counters], "number")
    prios = [
        PriorityClass(p.text("code"), p.text("name_vi"), p.text("name_en"))
        for p in r.tables("priorities", required=False)
    ]
    for i, p in enumerate(prios):
        if not PRIORITY_CODE_RE.match(p.code) or p.code == "normal":
            raise r.fail(f"priorities[{i}].code", "must be lower-case letters, not 'normal'")
    _unique(r, "priorities", [p.code for p in prios], "code")
    announce = r.text("announce", "digits")
    if announce not in ("digits", "number"):
        raise r.fail("announce", "must be 'digits' or 'number'")
    calendar, cutoff, walk_in_stop = _calendar(r.table("calendar"))
    printers = tuple(_printer(p) for p in r.tables("printers", required=False))
    _unique(r, "printers", [p.name for p in printers], "name")
    return Office(
        slug=slug,
        name=r.text("name"),
        address=r.text("address", ""),
        timezone=tz,
        open_kiosk=r.flag("open_kiosk", False),
        interleave=r.integer("interleave", 2, lo=1, hi=100),
        announce="digits" if announce == "digits" else "number",
        fields=fields,
        counters=tuple(counters),
        priorities=tuple(prios) if prios else DEFAULT_PRIORITIES,
        ticket_footer=r.text("ticket_footer", ""),
        calendar=calendar,
        cutoff=cutoff,
        walk_in_stop_minutes=walk_in_stop,
        appointments=_appointments(r.table("appointments")),
        printers=printers,
        ratings=Ratings(levels=_rating_levels(r.table("ratings"))),
        print_bilingual=r.flag("print_bilingual", False),
        raw=copy.deepcopy(dict(r.data)),
    )


def parse_office(data: Mapping[str, Any], source: str) -> Office:
    """One office from its TOML table (as a manager's change or a stored override gives
    it), validated exactly as in the file; errors name `source` and the key."""
    return _office(_Reader(source, data, "office"))


def _public_url(s: _Reader) -> str | None:
    value = s.opt_str("public_url")
    if value is None or not value.strip():
        return None
    value = value.strip().rstrip("/")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError as exc:
        raise s.fail("public_url", f"is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise s.fail(
            "public_url",
            f"must be an http:// or https:// address with a host, e.g. "
            f'"http://192.168.1.10:8000", not {value!r} (or leave it out)',
        )
    if parts.query or parts.fragment:
        raise s.fail("public_url", f"must not have a ?query or #fragment: {value!r}")
    return value


def _head_limits(s: _Reader) -> HeadLimits:
    d = HeadLimits()
    limits = HeadLimits(
        line_bytes=s.integer("max_header_line_bytes", d.line_bytes, lo=1024, hi=1024 * 1024),
        count=s.integer("max_headers", d.count, lo=20, hi=10_000),
        total_bytes=s.integer("max_head_bytes", d.total_bytes, lo=4096, hi=16 * 1024 * 1024),
    )
    if limits.total_bytes < limits.line_bytes:
        raise s.fail(
            "max_head_bytes",
            f"must be at least max_header_line_bytes ({limits.line_bytes}), "
            f"not {limits.total_bytes}",
        )
    return limits


def parse(data: Mapping[str, Any], path: Path) -> Config:
    file = str(path)
    root = _Reader(file, data, "")
    s = root.table("server")
    host = s.text("host", "127.0.0.1")
    port = s.integer("port", 8000, lo=1, hi=65535)
    data_dir = Path(s.text("data_dir", "data"))
    if not data_dir.is_absolute():
        data_dir = path.parent / data_dir
    server = ServerConfig(
        host=host,
        port=port,
        public_url=_public_url(s),
        data_dir=data_dir,
        max_body_bytes=s.integer("max_body_bytes", 64 * 1024, lo=1024),
        heartbeat_s=s.number("heartbeat_s", 10.0),
        body_timeout_s=s.number("body_timeout_s", ServerConfig.body_timeout_s),
        head_limits=_head_limits(s),
    )
    rd = root.table("redis")
    fsync = rd.text("appendfsync", "everysec")
    if fsync not in ("always", "everysec", "no"):
        raise rd.fail("appendfsync", "must be 'always', 'everysec' or 'no'")
    env_url = os.environ.get("REDIS_URL")
    url = env_url or rd.opt_str("url")
    if url:
        try:
            check_redis_url(url)
        except ValueError as exc:
            if env_url:
                raise ConfigError("environment", "REDIS_URL", str(exc)) from None
            raise rd.fail("url", str(exc)) from None
    redis = RedisConfig(url=url or None, appendfsync=fsync)  # type: ignore[arg-type]
    offices = tuple(_office(o) for o in root.tables("offices"))
    if not offices:
        raise root.fail("offices", "needs at least one office")
    _unique(root, "offices", [o.slug for o in offices], "slug")
    notify_url = root.table("notify").text("url", "log:")
    if not notify_url.startswith(("log:", "smtp://", "smtps://")):
        raise root.table("notify").fail("url", "must start with log:, smtp:// or smtps://")
    return Config(path=path, server=server, redis=redis, offices=offices, notify_url=notify_url)


def load(path: Path) -> Config:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), "-", f"cannot be read: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "-", f"is not valid TOML: {exc}") from exc
    return parse(data, path)
