"""Console pages over `[offices.calendar]` and `[offices.appointments]`: opening hours by
season, Saturday reception, days off and make-up working days, the dossier cut-off, and the
appointment capacity and booking rules. Shapes as in `config.py` (`_calendar`,
`_appointments`) and docs/calendar.md."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from queue_server.rules.calendar import statutory_holidays
from queue_server.web.manage.console import Console, page
from queue_server.web.manage.forms import Form

SESSION_RE = re.compile(r"^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$")
MONTH_DAY_RE = re.compile(r"^(\d{1,2})[-/](\d{1,2})$")
TIME_RE = re.compile(r"^\d{1,2}:\d{2}$")


def _sessions_text(pairs: Any) -> str:
    return ", ".join(f"{a}–{b}" for a, b in pairs or [])


def _parse_sessions(form: Form, name: str, required: bool) -> list[list[str]]:
    text = form.raw(name)
    if not text:
        if required:
            form.fail(name, "manage.err.required")
        return []
    out = []
    for part in re.split(r"[,;]\s*", text):
        m = SESSION_RE.match(part.strip())
        if m is None:
            form.fail(name, "manage.err.sessions")
            return []
        start, end = (_time(x) for x in m.groups())
        if start is None or end is None:
            form.fail(name, "manage.err.sessions")
            return []
        out.append([start, end])
    return out


def _time(text: str) -> str | None:
    try:
        return dt.time.fromisoformat(text.zfill(5)).strftime("%H:%M")
    except ValueError:
        return None


def _month_day(form: Form, name: str) -> str:
    """ "16/10" or "10-16"… as the config's "MM-DD"; the form shows day/month."""
    m = MONTH_DAY_RE.match(form.raw(name))
    if m is None:
        form.fail(name, "manage.err.day_month")
        return ""
    day, month = int(m[1]), int(m[2])
    try:
        dt.date(2000, month, day)
    except ValueError:
        form.fail(name, "manage.err.day_month")
        return ""
    return f"{month:02d}-{day:02d}"


def _show_month_day(value: str) -> str:
    month, _, day = value.partition("-")
    return f"{day}/{month}"


def _date(form: Form, name: str, text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    form.fail(name, "manage.err.date")
    return None


def _dates(form: Form, name: str) -> list[dt.date]:
    out = []
    for line in form.lines(name, max_lines=200):
        d = _date(form, name, line)
        if d is not None:
            out.append(d)
    return sorted(set(out))


def _calendar_values(c: Console) -> tuple[dict[str, Any], int, int]:
    cal = c.office.raw.get("calendar", {})
    values: dict[str, Any] = {
        "cutoff": cal.get("cutoff", "15:00"),
        "walk_in_stop_minutes": cal.get("walk_in_stop_minutes", 15),
        "extra_days_off": "\n".join(d.strftime("%d/%m/%Y") for d in cal.get("extra_days_off", [])),
        "extra_working_days": "\n".join(
            d.strftime("%d/%m/%Y") for d in cal.get("extra_working_days", [])
        ),
    }
    seasons = cal.get("seasons", [])
    for i, s in enumerate(seasons):
        values.update({
            f"season_name_{i}": s.get("name", ""),
            f"season_from_{i}": _show_month_day(s.get("from", "")),
            f"season_to_{i}": _show_month_day(s.get("to", "")),
            f"season_weekdays_{i}": _sessions_text(s.get("weekdays")),
            f"season_saturday_{i}": _sessions_text(s.get("saturday")),
        })  # fmt: skip
    swaps = cal.get("swaps", [])
    for i, w in enumerate(swaps):
        values.update({
            f"swap_off_{i}": w["day_off"].strftime("%d/%m/%Y"),
            f"swap_on_{i}": w["worked_on"].strftime("%d/%m/%Y"),
            f"swap_note_{i}": w.get("note", ""),
        })  # fmt: skip
    return values, len(seasons) + 1, len(swaps) + 1


def _calendar_form(
    c: Console,
    values: dict[str, Any],
    errors: dict[str, str],
    seasons: int,
    swaps: int,
    status: int = 200,
) -> Response:
    today = dt.datetime.now(c.office.tz).date()
    holidays = sorted(
        (d, name)
        for year in (today.year, today.year + 1)
        for d, name in statutory_holidays(year).items()
        if today <= d <= today + dt.timedelta(days=366)
    )
    return c.render(
        "manage_calendar.html", "calendar",
        {"values": values, "errors": errors, "season_rows": range(seasons),
         "swap_rows": range(swaps), "holidays": holidays},
        status,
    )  # fmt: skip


async def calendar_page(c: Console) -> Response:
    values, seasons, swaps = _calendar_values(c)
    return _calendar_form(c, values, {}, seasons, swaps)


def _calendar_name(rest: str) -> str:
    m = re.match(r"calendar\.seasons\[(\d+)\]\.(\w+)", rest)
    if m:
        return f"season_{m[2]}_{m[1]}"
    m = re.match(r"calendar\.swaps\[(\d+)\]\.(\w+)", rest)
    if m:
        return f"swap_{'off' if m[2] == 'day_off' else 'on'}_{m[1]}"
    m = re.match(r"calendar\.(cutoff|walk_in_stop_minutes|extra_days_off|extra_working_days)", rest)
    return m[1] if m else ""


async def calendar_save(c: Console) -> Response:
    assert c.form is not None
    form = Form(c.form, c.lang)
    n_seasons = form.integer("season_rows", 1, 20) or 1
    n_swaps = form.integer("swap_rows", 1, 100) or 1
    seasons = []
    for i in range(n_seasons):
        name = form.raw(f"season_name_{i}")
        if not name or form.flag(f"season_delete_{i}"):
            continue
        season: dict[str, Any] = {
            "name": form.text(f"season_name_{i}", max_len=40),
            "from": _month_day(form, f"season_from_{i}"),
            "to": _month_day(form, f"season_to_{i}"),
            "weekdays": _parse_sessions(form, f"season_weekdays_{i}", True),
        }
        saturday = _parse_sessions(form, f"season_saturday_{i}", False)
        if saturday:
            season["saturday"] = saturday
        seasons.append(season)
    swaps = []
    for i in range(n_swaps):
        off, on = form.raw(f"swap_off_{i}"), form.raw(f"swap_on_{i}")
        if not (off or on) or form.flag(f"swap_delete_{i}"):
            continue
        day_off = _date(form, f"swap_off_{i}", off)
        worked_on = _date(form, f"swap_on_{i}", on)
        note = form.text(f"swap_note_{i}", required=False, max_len=120)
        if day_off and worked_on:
            swaps.append({"day_off": day_off, "worked_on": worked_on, "note": note})
    cutoff = form.raw("cutoff")
    if not TIME_RE.match(cutoff) or _time(cutoff) is None:
        form.fail("cutoff", "manage.err.time")
    stop = form.integer("walk_in_stop_minutes", 0, 240)
    days_off = _dates(form, "extra_days_off")
    working = _dates(form, "extra_working_days")
    if not form.errors:
        table = c.raw()
        cal = table.setdefault("calendar", {})
        cal.update(cutoff=_time(cutoff), walk_in_stop_minutes=stop,
                   extra_days_off=days_off, extra_working_days=working)  # fmt: skip
        for key, items in (("seasons", seasons), ("swaps", swaps)):
            if items:
                cal[key] = items
            else:
                cal.pop(key, None)
        if await c.save(table, "office", form.errors, _calendar_name):
            return c.done("/calendar")
    return _calendar_form(c, form.values, form.errors, n_seasons, n_swaps, 400)


# Appointments: capacity and booking rules.

APPOINTMENT_FIELDS: tuple[tuple[str, int, int, int], ...] = (
    # name, default, lowest, highest: the bounds `config._appointments` accepts.
    ("slot_minutes", 30, 5, 240),
    ("horizon_days", 30, 0, 365),
    ("min_notice_minutes", 60, 0, 10_080),
    ("max_active_per_phone", 2, 1, 50),
    ("check_in_early_minutes", 30, 0, 600),
    ("check_in_late_minutes", 15, 0, 600),
    ("no_show_grace_minutes", 30, 0, 600),
    ("reminder_hour", 17, 0, 23),
    ("bookings_per_ip_per_hour", 20, 1, 10_000),
    ("bookings_per_phone_per_day", 5, 1, 1000),
)


def _appointment_form(
    c: Console, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    return c.render(
        "manage_appointments.html", "appointments",
        {"values": values, "errors": errors, "numbers": APPOINTMENT_FIELDS},
        status,
    )  # fmt: skip


async def appointments_page(c: Console) -> Response:
    raw = c.office.raw.get("appointments", {})
    values: dict[str, Any] = {name: raw.get(name, d) for name, d, _, _ in APPOINTMENT_FIELDS}
    values["capacity"] = raw.get("capacity", "")
    values["walk_in_percent"] = round(float(raw.get("walk_in_share", 0.3)) * 100)
    return _appointment_form(c, values, {})


def _appointment_name(rest: str) -> str:
    if not rest.startswith("appointments."):
        return ""
    key = rest.split(".", 1)[1]
    return "walk_in_percent" if key == "walk_in_share" else key


async def appointments_save(c: Console) -> Response:
    assert c.form is not None
    form = Form(c.form, c.lang)
    numbers = {name: form.integer(name, lo, hi) for name, _, lo, hi in APPOINTMENT_FIELDS}
    capacity = form.integer("capacity", 0, 1000, required=False)
    percent = form.integer("walk_in_percent", 0, 99)
    if not form.errors:
        table = c.raw()
        appointments = table.setdefault("appointments", {})
        appointments.update(numbers)
        appointments["walk_in_share"] = (percent or 0) / 100
        if capacity is None:
            appointments.pop("capacity", None)
        else:
            appointments["capacity"] = capacity
        if await c.save(table, "office", form.errors, _appointment_name):
            return c.done("/appointments")
    return _appointment_form(c, form.values, form.errors, 400)


def routes() -> list[BaseRoute]:
    return [
        page("/calendar", calendar_page),
        page("/calendar/save", calendar_save, post=True),
        page("/appointments", appointments_page),
        page("/appointments/save", appointments_save, post=True),
    ]
