"""Console pages over `[offices.calendar]` and `[offices.appointments]`: opening hours by
season, Saturday reception, days off and make-up working days, the dossier cut-off, and the
appointment capacity and booking rules. Shapes and bounds as `config.bounds` gives them
(docs/calendar.md)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from queue_server.config.bounds import BOUNDS, Bound
from queue_server.rules.calendar import statutory_holidays
from queue_server.web.manage.console import Console, page
from queue_server.web.manage.forms import Form

SESSION_RE = re.compile(r"^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$")
MONTH_DAY_RE = re.compile(r"^(\d{1,2})[-/](\d{1,2})$")
TIME_RE = re.compile(r"^\d{1,2}:\d{2}$")
SEASONS = BOUNDS["calendar.seasons"]
SWAPS = BOUNDS["calendar.swaps"]


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


def _dates(form: Form, bound: Bound) -> list[dt.date]:
    name = bound.form_name()
    out = []
    for line in form.lines(name, max_lines=bound.max_items or 0):
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


async def calendar_save(c: Console) -> Response:
    assert c.form is not None
    form = Form(c.form, c.lang)
    # The page shows one blank row more than the entries there may be, for a new one.
    n_seasons = form.integer("season_rows", 1, (SEASONS.max_items or 0) + 1) or 1
    n_swaps = form.integer("swap_rows", 1, (SWAPS.max_items or 0) + 1) or 1
    seasons = []
    for i in range(n_seasons):
        name = form.raw(f"season_name_{i}")
        if not name or form.flag(f"season_delete_{i}"):
            continue
        season: dict[str, Any] = {
            "name": form.read(BOUNDS["calendar.seasons[].name"], i),
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
        note = form.read(BOUNDS["calendar.swaps[].note"], i)
        if day_off and worked_on:
            swaps.append({"day_off": day_off, "worked_on": worked_on, "note": note})
    cutoff = form.raw("cutoff")
    if not TIME_RE.match(cutoff) or _time(cutoff) is None:
        form.fail("cutoff", "manage.err.time")
    stop = form.read(BOUNDS["calendar.walk_in_stop_minutes"])
    days_off = _dates(form, BOUNDS["calendar.extra_days_off"])
    working = _dates(form, BOUNDS["calendar.extra_working_days"])
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
        if await c.save(table, "office", form.errors):
            return c.done("/calendar")
    return _calendar_form(c, form.values, form.errors, n_seasons, n_swaps, 400)


# Appointments: capacity and booking rules.


# The numbers of the appointments page, one input each, in the page's order.
APPOINTMENT_NUMBERS: tuple[Bound, ...] = tuple(
    BOUNDS[f"appointments.{name}"]
    for name in ("slot_minutes", "horizon_days", "min_notice_minutes", "max_active_per_phone",
                 "check_in_early_minutes", "check_in_late_minutes", "no_show_grace_minutes",
                 "reminder_hour", "bookings_per_ip_per_hour", "bookings_per_phone_per_day")
)  # fmt: skip
CAPACITY = BOUNDS["appointments.capacity"]
WALK_IN_SHARE = BOUNDS["appointments.walk_in_share"]


def _appointment_form(
    c: Console, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    return c.render(
        "manage_appointments.html", "appointments",
        {"values": values, "errors": errors,
         "numbers": [(b.name, b.default, b.lo, b.hi) for b in APPOINTMENT_NUMBERS]},
        status,
    )  # fmt: skip


async def appointments_page(c: Console) -> Response:
    raw = c.office.raw.get("appointments", {})
    values: dict[str, Any] = {b.name: raw.get(b.name, b.default) for b in APPOINTMENT_NUMBERS}
    values["capacity"] = raw.get("capacity", "")
    values[WALK_IN_SHARE.form_name()] = round(
        float(raw.get("walk_in_share", WALK_IN_SHARE.default)) * 100
    )
    return _appointment_form(c, values, {})


async def appointments_save(c: Console) -> Response:
    assert c.form is not None
    form = Form(c.form, c.lang)
    numbers = {b.name: form.read(b) for b in APPOINTMENT_NUMBERS}
    capacity = form.read(CAPACITY)
    # A whole percentage inside the share's bounds: from 0 % up to (not including) 100 %.
    assert WALK_IN_SHARE.lo is not None and WALK_IN_SHARE.hi is not None
    lo, hi = round(WALK_IN_SHARE.lo * 100), round(WALK_IN_SHARE.hi * 100)
    percent = form.integer(WALK_IN_SHARE.form_name(), lo, hi - 1 if WALK_IN_SHARE.hi_open else hi)
    if not form.errors:
        table = c.raw()
        appointments = table.setdefault("appointments", {})
        appointments.update(numbers)
        appointments["walk_in_share"] = (percent or 0) / 100
        if capacity is None:
            appointments.pop("capacity", None)
        else:
            appointments["capacity"] = capacity
        if await c.save(table, "office", form.errors):
            return c.done("/appointments")
    return _appointment_form(c, form.values, form.errors, 400)


def routes() -> list[BaseRoute]:
    return [
        page("/calendar", calendar_page),
        page("/calendar/save", calendar_save, post=True),
        page("/appointments", appointments_page),
        page("/appointments/save", appointments_save, post=True),
    ]
