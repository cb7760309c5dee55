"""Reading `config.toml` (or one office's table) into frozen, validated objects.

A wrong or missing value raises `ConfigError(file, key, reason)`, so the start stops with a
message such as ``config.toml: offices[0].fields[2].prefix: must be one capital letter``.
Every value of an office is read through its entry in `bounds`, the table the console's
forms check against too.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from printer import InvalidPrintData, PrintOptions
from queue_server.config.bounds import BOUNDS, REQUIRED, Bound
from queue_server.config.settings import (
    CLUSTER_SCHEMES,
    Config,
    HeadLimits,
    RedisConfig,
    ServerConfig,
    check_redis_url,
)
from queue_server.errors import ConfigError
from queue_server.office import (
    DEFAULT_PRIORITIES,
    Appointments,
    Counter,
    Field,
    Office,
    Printer,
    PriorityClass,
    Procedure,
    Ratings,
)
from queue_server.rules.calendar import (
    NORTHERN_SEASONS,
    Calendar,
    DayHours,
    Season,
    Session,
    WorkdaySwap,
    apply_swaps,
)

_KINDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "integer": (int, "an integer"),
    "number": ((int, float), "a number"),
    "text": (str, "a string"),
    "timezone": (str, "a string"),
    "time": (str, "a string"),
    "month_day": (str, "a string"),
    "flag": (bool, "true or false"),
    "texts": (list, "a list"),
    "dates": (list, "a list of dates"),
    "sessions": (list, "a list"),
    "tables": (list, "an array of tables"),
}


class Reader:
    """Typed access to one TOML table, naming the full key in every error.

    `at` is the table's place inside an office, as `bounds` writes keys ("" for the office
    itself, ``fields[]`` for one of its fields): `read` finds each value's bound there."""

    def __init__(self, file: str, table: Mapping[str, Any], prefix: str, at: str = "") -> None:
        self.file = file
        self.data = table
        self.prefix = prefix
        self.at = at

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, reason: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), reason)

    def _get(self, name: str, kind: type | tuple[type, ...], default: Any, what: str) -> Any:
        if name not in self.data:
            if default is REQUIRED:
                raise self.fail(name, "is missing")
            return default
        value = self.data[name]
        if isinstance(value, bool) and kind is not bool:
            raise self.fail(name, f"must be {what}, not true/false")
        if not isinstance(value, kind):
            raise self.fail(name, f"must be {what}, not {type(value).__name__}")
        return value

    def text(self, name: str, default: Any = REQUIRED) -> str:
        value: str = self._get(name, str, default, "a string")
        return value

    def opt_str(self, name: str) -> str | None:
        value: str | None = self._get(name, str, None, "a string")
        return value

    def integer(
        self, name: str, default: Any = REQUIRED, lo: int | None = None, hi: int | None = None
    ) -> int:
        value: int = self._get(name, int, default, "an integer")
        if lo is not None and value < lo:
            raise self.fail(name, f"must be at least {lo}, not {value}")
        if hi is not None and value > hi:
            raise self.fail(name, f"must be at most {hi}, not {value}")
        return value

    def number(self, name: str, default: Any = REQUIRED) -> float:
        """A number greater than 0."""
        value = self._get(name, (int, float), default, "a number")
        if value <= 0:
            raise self.fail(name, "must be greater than 0")
        return float(value)

    def tables(
        self, name: str, required: bool = True, max_items: int | None = None
    ) -> list[Reader]:
        value = self._get(name, list, REQUIRED if required else [], "an array of tables")
        if max_items is not None and len(value) > max_items:
            raise self.fail(name, f"must have at most {max_items} entries, not {len(value)}")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"{name}[{i}]", "must be a table")
            out.append(Reader(self.file, item, f"{self.key(name)}[{i}]", self._at(name) + "[]"))
        return out

    def table(self, name: str) -> Reader:
        value = self._get(name, dict, {}, "a table")
        return Reader(self.file, value, self.key(name), self._at(name))

    def _at(self, name: str) -> str:
        return f"{self.at}.{name}" if self.at else name

    def read(self, name: str) -> Any:
        """The value `name` of this table of an office, as its bound in `bounds` says."""
        b = BOUNDS[self._at(name)]
        if b.kind == "tables":
            return self.tables(name, b.required, b.max_items)
        if b.kind == "choice":
            what = "an integer" if isinstance(b.choices[0], int) else "a string"
            value = self._get(name, type(b.choices[0]), b.default, what)
            if value is not None and value not in b.choices:
                allowed = " or ".join(repr(c) for c in b.choices)
                raise self.fail(name, f"must be {allowed}, not {value!r}")
            return value
        if b.kind == "date":
            value = self.data.get(name, b.default)
            if value is REQUIRED:
                raise self.fail(name, "is missing")
            if not _is_date(value):
                raise self.fail(name, "must be a TOML date such as 2026-01-10")
            return value
        kind, what = _KINDS[b.kind]
        value = self._get(name, kind, b.default, what)
        if name not in self.data:
            return _default(b)
        return _CHECKS[b.kind](self, b, value)


def _default(b: Bound) -> Any:
    if b.kind == "time":
        return time.fromisoformat(b.default)
    if b.kind == "sessions":
        return DayHours(())
    if b.kind == "dates":
        return frozenset()
    return b.default


def _is_date(value: Any) -> bool:
    return isinstance(value, date) and not hasattr(value, "hour")


def _integer(r: Reader, b: Bound, value: int) -> int:
    if b.lo is not None and value < b.lo:
        raise r.fail(b.name, f"must be at least {b.lo}, not {value}")
    if b.hi is not None and value > b.hi:
        raise r.fail(b.name, f"must be at most {b.hi}, not {value}")
    return value


def _number(r: Reader, b: Bound, value: float) -> float:
    if b.contains(value):
        return float(value)
    if b.hi_open:
        reason = f"must be from {b.lo} up to (not including) {b.hi}, not {value}"
    elif b.lo is not None and value <= b.lo:
        reason = f"must be greater than {b.lo}" if b.lo_open else f"must be at least {b.lo}"
    else:
        reason = f"must be at most {b.hi}, not {value}"
    raise r.fail(b.name, reason)


def _text(r: Reader, b: Bound, value: str) -> str:
    if b.max_len is not None and len(value) > b.max_len:
        raise r.fail(b.name, f"must be at most {b.max_len} characters, not {len(value)}")
    if b.pattern is not None and not b.pattern.regex.match(value):
        raise r.fail(b.name, f"{b.pattern.reason}, not {value!r}")
    return value


def _texts(r: Reader, b: Bound, value: list[Any]) -> tuple[str, ...]:
    if b.max_items is not None and len(value) > b.max_items:
        raise r.fail(b.name, f"must have at most {b.max_items} entries, not {len(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise r.fail(f"{b.name}[{i}]", "must be a string")
        if b.max_len is not None and len(item) > b.max_len:
            raise r.fail(f"{b.name}[{i}]", f"must be at most {b.max_len} characters")
    return tuple(value)


def _dates(r: Reader, b: Bound, value: list[Any]) -> frozenset[date]:
    if b.max_items is not None and len(value) > b.max_items:
        raise r.fail(b.name, f"must have at most {b.max_items} entries, not {len(value)}")
    for i, item in enumerate(value):
        if not _is_date(item):
            raise r.fail(f"{b.name}[{i}]", "must be a TOML date such as 2026-01-02")
    return frozenset(value)


def _clock_time(r: Reader, b: Bound, value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise r.fail(b.name, f'must be a time like "15:00", not {value!r}') from None


def _month_day(r: Reader, b: Bound, value: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{2})-(\d{2})", value)
    if m is None:
        raise r.fail(b.name, f'must be "MM-DD", e.g. "10-16", not {value!r}')
    try:
        date(2000, int(m[1]), int(m[2]))
    except ValueError:
        raise r.fail(b.name, f"{value!r} is not a day of the year") from None
    return int(m[1]), int(m[2])


def _sessions(r: Reader, b: Bound, value: list[Any]) -> DayHours:
    """A list of ["HH:MM", "HH:MM"] pairs, e.g. [["07:30", "12:00"], ["13:00", "16:30"]]."""
    out = []
    for i, pair in enumerate(value):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(x, str) for x in pair)
        ):
            raise r.fail(f"{b.name}[{i}]", 'must be a pair like ["07:30", "12:00"]')
        try:
            out.append(Session(time.fromisoformat(pair[0]), time.fromisoformat(pair[1])))
        except ValueError as exc:
            raise r.fail(f"{b.name}[{i}]", str(exc)) from None
    try:
        return DayHours(tuple(out))
    except ValueError as exc:
        raise r.fail(b.name, str(exc)) from None


def _timezone(r: Reader, b: Bound, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise r.fail(b.name, f"unknown time zone {value!r}") from exc
    return value


_CHECKS: dict[str, Any] = {
    "integer": _integer,
    "number": _number,
    "text": _text,
    "flag": lambda r, b, value: value,
    "texts": _texts,
    "dates": _dates,
    "time": _clock_time,
    "month_day": _month_day,
    "sessions": _sessions,
    "timezone": _timezone,
}


def _calendar(r: Reader) -> tuple[Calendar, time, int]:
    """`[offices.calendar]`: seasons, Saturday sessions, overrides, swaps, cut-off."""
    seasons = []
    for s in r.read("seasons"):
        weekdays = dict.fromkeys(range(5), s.read("weekdays"))
        saturday = s.read("saturday")
        if saturday.sessions:
            weekdays[5] = saturday
        seasons.append(Season(s.read("name"), s.read("from"), s.read("to"), weekdays))
    swaps = [
        WorkdaySwap(w.read("day_off"), w.read("worked_on"), w.read("note")) for w in r.read("swaps")
    ]
    try:
        cal = Calendar(
            seasons=tuple(seasons) or NORTHERN_SEASONS,
            extra_days_off=r.read("extra_days_off"),
            extra_working_days=r.read("extra_working_days"),
        )
        cal = apply_swaps(cal, swaps)
    except ValueError as exc:
        raise r.fail("seasons" if "season" in str(exc) else "swaps", str(exc)) from None
    return cal, r.read("cutoff"), r.read("walk_in_stop_minutes")


_APPOINTMENT_KEYS = tuple(b.name for b in BOUNDS.values() if b.key.startswith("appointments."))


def _appointments(r: Reader) -> Appointments:
    return Appointments(**{name: r.read(name) for name in _APPOINTMENT_KEYS})


def _printer(r: Reader) -> Printer:
    name = r.read("name")
    url = r.read("url")
    driver = r.read("driver") or ("server" if url.startswith("tcp:") else "agent")
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


def _procedure(r: Reader) -> Procedure:
    code = r.read("code")
    name_vi = r.read("name_vi")
    return Procedure(
        code=code,
        name_vi=name_vi,
        name_en=r.read("name_en") if "name_en" in r.data else name_vi,
        legal_days=r.read("legal_days"),
        no_wait=r.read("no_wait"),
        documents=r.read("documents"),
        fee=r.read("fee"),
    )


def _field(r: Reader) -> Field:
    code = r.read("code")
    prefix = r.read("prefix")
    first = r.read("first_number")
    last = r.read("last_number")
    if last <= first:
        raise r.fail("last_number", f"must be greater than first_number ({first})")
    procedures = tuple(_procedure(p) for p in r.read("procedures"))
    _unique(r, "procedures", [p.code for p in procedures], "code")
    return Field(
        code=code,
        prefix=prefix,
        name_vi=r.read("name_vi"),
        name_en=r.read("name_en"),
        first_number=first,
        last_number=last,
        service_minutes=r.read("service_minutes"),
        target_wait_minutes=r.read("target_wait_minutes"),
        procedures=procedures,
    )


def _unique(r: Reader, name: str, values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise r.fail(f"{name}[{i}].{what}", f"{v!r} is used twice")
        seen.add(v)


def _counters(r: Reader, codes: set[str]) -> tuple[Counter, ...]:
    counters = []
    for c in r.read("counters"):
        served = c.read("fields")
        if not served:
            raise c.fail("fields", "must name at least one field")
        for i, code in enumerate(served):
            if code not in codes:
                raise c.fail(f"fields[{i}]", f"unknown field {code!r}; known: {sorted(codes)}")
        number = c.read("number")
        counters.append(Counter(number, c.read("name") or f"Quầy {number}", served))
    if not counters:
        raise r.fail("counters", "needs at least one counter")
    _unique(r, "counters", [c.number for c in counters], "number")
    return tuple(counters)


def _office(r: Reader) -> Office:
    slug = r.read("slug")
    tz = r.read("timezone")
    fields = tuple(_field(f) for f in r.read("fields"))
    if not fields:
        raise r.fail("fields", "needs at least one field of service")
    _unique(r, "fields", [f.code for f in fields], "code")
    _unique(r, "fields", [f.prefix for f in fields], "prefix")
    counters = _counters(r, {f.code for f in fields})
    prios = [
        PriorityClass(p.read("code"), p.read("name_vi"), p.read("name_en"))
        for p in r.read("priorities")
    ]
    _unique(r, "priorities", [p.code for p in prios], "code")
    announce = r.read("announce")
    calendar, cutoff, walk_in_stop = _calendar(r.table("calendar"))
    printers = tuple(_printer(p) for p in r.read("printers"))
    _unique(r, "printers", [p.name for p in printers], "name")
    return Office(
        slug=slug,
        name=r.read("name"),
        address=r.read("address"),
        timezone=tz,
        open_kiosk=r.read("open_kiosk"),
        interleave=r.read("interleave"),
        announce=announce,
        fields=fields,
        counters=counters,
        priorities=tuple(prios) if prios else DEFAULT_PRIORITIES,
        ticket_footer=r.read("ticket_footer"),
        calendar=calendar,
        cutoff=cutoff,
        walk_in_stop_minutes=walk_in_stop,
        appointments=_appointments(r.table("appointments")),
        printers=printers,
        ratings=Ratings(levels=r.table("ratings").read("levels")),
        print_bilingual=r.read("print_bilingual"),
        raw=copy.deepcopy(dict(r.data)),
    )


def parse_office(data: Mapping[str, Any], source: str) -> Office:
    """One office from its TOML table (as a manager's change or a stored override gives
    it), validated exactly as in the file; errors name `source` and the key, which starts
    with ``office.``."""
    return _office(Reader(source, data, "office"))


def _public_url(s: Reader) -> str | None:
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


def _redis(rd: Reader) -> RedisConfig:
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
    acks = rd.integer("replicas_ack", 0, lo=0, hi=16)
    if acks and not url:
        raise rd.fail("replicas_ack", "needs a redis.url: the embedded Redis has no replicas")
    if acks and url and url.startswith(CLUSTER_SCHEMES):
        raise rd.fail(
            "replicas_ack",
            "is not supported on a Redis Cluster (WAIT would have to share the script's "
            "connection to its node); leave it out",
        )
    return RedisConfig(
        url=url or None,
        appendfsync=fsync,  # type: ignore[arg-type]
        replicas_ack=acks,
        replica_ack_timeout_ms=rd.integer("replica_ack_timeout_ms", 500, lo=10, hi=60_000),
    )


def _head_limits(s: Reader) -> HeadLimits:
    d = HeadLimits()
    limits = HeadLimits(
        line_bytes=s.integer("max_header_line_bytes", d.line_bytes, lo=1024, hi=1024 * 1024),
        count=s.integer("max_headers", d.count, lo=20, hi=10_000),
        total_bytes=s.integer("max_head_bytes", d.total_bytes, lo=4096, hi=16 * 1024 * 1024),
        timeout_s=s.number("head_timeout_s", d.timeout_s),
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
    root = Reader(file, data, "")
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
        log_format=s.text("log_format", "text"),
    )
    if server.log_format not in ("text", "json"):
        raise s.fail("log_format", 'must be "text" or "json"')
    redis = _redis(root.table("redis"))
    # Each office is read as an office of its own: its keys in `bounds` start at its table.
    offices = tuple(_office(Reader(file, o.data, o.prefix)) for o in root.tables("offices"))
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
