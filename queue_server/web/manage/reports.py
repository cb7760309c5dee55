"""Report pages of the manager console: `/manage/{office}/reports` (range, tables, charts),
CSV and Excel exports with the same figures, the printable monthly report, and the JSON
form at `/api/v1/offices/{office}/reports`."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from openpyxl import Workbook
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import BadRequest
from queue_server.office import Office
from queue_server.services.queue import QueueService
from queue_server.services.ratings import REASONS, levels
from queue_server.services.reports import (
    Metrics,
    Report,
    figures,
    new_metrics,
)
from queue_server.web.api.reports import parse_month, parse_range
from queue_server.web.http.errors import language
from queue_server.web.http.responses import csv_attachment, workbook_attachment
from queue_server.web.http.templates import page_user, render
from queue_server.web.i18n import error_text, translate
from queue_server.web.manage import charts
from queue_server.web.manage.console import time_zone_label
from queue_server.web.wiring import services

COLUMNS = (
    "issued",
    "served",
    "no_show",
    "cancelled",
    "avg_wait",
    "p90_wait",
    "avg_service",
    "p90_service",
    "service_level",
    "appt_booked",
    "appt_kept",
    "appt_no_show",
    "results",
    "results_late",
    "results_on_time",
    "rated",
    "satisfaction",
)
DIMENSIONS = ("field", "counter", "staff", "class")
OPEN_HOURS = range(6, 19)
Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list[Cell]]


# Labels.


def _dim_label(office: Office, dim: str, key: str, lang: str) -> str:
    if dim == "field":
        f = office.field(key)
        return f"{key} – {(f.name_vi if lang == 'vi' else f.name_en) if f else key}"
    if dim == "counter":
        return f"{translate('counter', lang)} {key}"
    if dim == "staff":
        return key or translate("reports.unknown_staff", lang)
    if key == "normal":
        return translate("reports.class.normal", lang)
    p = office.priority(key)
    return (p.name_vi if lang == "vi" else p.name_en) if p else key


def _header(first: str, lang: str) -> list[str]:
    return [translate(first, lang), *(translate(f"reports.col.{c}", lang) for c in COLUMNS)]


# Figures a dimension does not divide: a ticket meets a counter and a staff member only when
# called; bookings name a field only. Shown as a dash rather than a misleading 0.
_BOOKINGS = {"appt_booked", "appt_kept", "appt_no_show", "results", "results_late",
             "results_on_time"}  # fmt: skip
NOT_DIVIDED = {
    "counter": {"issued", "cancelled", *_BOOKINGS},
    "staff": {"issued", "cancelled", *_BOOKINGS},
    "class": _BOOKINGS,
}


def _row(label: str, m: Metrics, dim: str = "") -> list[Cell]:
    f = figures(m)
    skip = NOT_DIVIDED.get(dim, set())
    return [label, *(None if c in skip else f[c] for c in COLUMNS)]


def tables(report: Report, lang: str) -> list[Table]:
    """Every figure of the report as tables: the page, the CSV and the workbook show these."""

    def t(key: str) -> str:
        return translate(key, lang)

    out = [
        Table(
            "days",
            t("reports.table.days"),
            _header("reports.day", lang),
            [_row(a["day"], a["groups"].get("all") or new_metrics()) for a in report.days]
            + [_row(t("reports.total"), report.group("all"))],
        )
    ]
    for dim in DIMENSIONS:
        out.append(
            Table(
                dim,
                t(f"reports.table.{dim}"),
                _header(f"reports.dim.{dim}", lang),
                [
                    _row(_dim_label(report.office, dim, k, lang), m, dim)
                    for k, m in report.dimension(dim)
                ],
            )
        )
    rated = report.group("all")["rated"]
    total = sum(rated)
    out.append(
        Table(
            "ratings",
            t("reports.table.ratings"),
            [t("reports.level"), t("reports.count"), t("reports.share")],
            [
                [
                    t(f"rate.level.{lv.key}"),
                    rated[lv.value - 1],
                    round(100 * rated[lv.value - 1] / total, 1) if total else None,
                ]
                for lv in levels(report.office)
            ],
        )
    )
    reasons = report.total["reasons"]
    out.append(
        Table(
            "reasons",
            t("reports.table.reasons"),
            [t("reports.reason"), t("reports.count")],
            [[t(f"rate.reason.{r}"), reasons.get(r, 0)] for r in REASONS]
            + [[t("reports.reason.other"), reasons.get("other", 0)]],
        )
    )
    weekdays = [t(f"reports.weekday.{i}") for i in range(7)]
    out.append(
        Table(
            "hours",
            t("reports.table.hours"),
            [t("reports.weekday"), *(f"{h}h" for h in range(24))],
            [[weekdays[i], *row] for i, row in enumerate(report.heatmap())],
        )
    )
    return out


def report_charts(report: Report, lang: str) -> dict[str, Markup]:
    """The four charts of a report, as inline SVG."""

    def t(key: str) -> str:
        return translate(key, lang)

    labels = [f"{a['day'][8:10]}/{a['day'][5:7]}" for a in report.days]
    per_day = [figures(a["groups"].get("all") or new_metrics()) for a in report.days]
    rated = report.group("all")["rated"]
    return {
        "volume": charts.bar_chart(
            labels,
            [
                (t("reports.col.issued"), [f["issued"] for f in per_day], "ch-s1"),
                (t("reports.col.served"), [f["served"] for f in per_day], "ch-s2"),
                (t("reports.col.no_show"), [f["no_show"] for f in per_day], "ch-s3"),
            ],
            t("reports.chart.volume"),
        ),
        "wait": charts.line_chart(
            labels,
            [
                (t("reports.col.avg_wait"), [f["avg_wait"] for f in per_day], "ch-s1"),
                (t("reports.col.p90_wait"), [f["p90_wait"] for f in per_day], "ch-s3"),
                (t("reports.col.avg_service"), [f["avg_service"] for f in per_day], "ch-s2"),
            ],
            t("reports.chart.wait"),
        ),
        "ratings": charts.hbars(
            [
                (t(f"rate.level.{lv.key}"), rated[lv.value - 1], f"ch-rate{lv.value}")
                for lv in levels(report.office)
            ],
            t("reports.chart.ratings"),
        ),
        "heatmap": charts.heatmap(
            report.heatmap(),
            [t(f"reports.weekday.{i}") for i in range(7)],
            OPEN_HOURS,
            t("reports.chart.heatmap"),
        ),
    }


def cell_text(value: Cell, lang: str) -> str:
    """A figure as the page shows it: a decimal comma in Vietnamese, a dash for none."""
    if value is None:
        return "–"
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text.replace(".", ",") if lang == "vi" else text
    return str(value)


def _context(report: Report, lang: str) -> dict[str, Any]:
    all_figures = figures(report.group("all"))
    return {
        "fmt": lambda v: cell_text(v, lang),
        "office": report.office,
        "report": report,
        "tables": tables(report, lang),
        "charts": report_charts(report, lang),
        "summary": all_figures,
        "query": f"from={report.start.isoformat()}&to={report.end.isoformat()}",
        "comments": report.total["comments"][-20:],
    }


# Handlers.


async def _office(request: Request) -> tuple[Office, str] | Response:
    # A clerk who followed a link meets the console's page, not JSON.
    who = await page_user(request, "manager", request.path_params["office"])
    if isinstance(who, Response):
        return who
    queue: QueueService = services(request).queue
    # A closed office's reports stay readable.
    return queue.office(request.path_params["office"], closed=True), who.name


async def reports_page(request: Request) -> Response:
    found = await _office(request)
    if isinstance(found, Response):
        return found
    office, user = found
    service = services(request).reports
    lang = language(request)
    today = service.today(office)
    base = {"office": office, "user": user, "active": "reports",
            "time_zone": time_zone_label(office, service.clock.now_ms())}  # fmt: skip
    try:
        start, end = parse_range(request, today)
    except BadRequest as exc:
        start, end = today.replace(day=1), today
        report = await service.report(office, start, end)
        ctx = {
            **base,
            **_context(report, lang),
            "form_error": error_text(exc, lang),
            "form": dict(request.query_params),
        }
        return render(request, "reports.html", ctx, status=400)
    report = await service.report(office, start, end)
    ctx = {**base, **_context(report, lang), "form": {"from": start, "to": end}}
    return render(request, "reports.html", ctx)


async def _range_report(request: Request) -> tuple[Report, str] | Response:
    found = await _office(request)
    if isinstance(found, Response):
        return found
    office, _ = found
    service = services(request).reports
    start, end = parse_range(request, service.today(office))
    return await service.report(office, start, end), language(request)


def _filename(report: Report, ext: str) -> str:
    return f"bao-cao-{report.office.slug}-{report.start.isoformat()}-{report.end.isoformat()}.{ext}"


async def export_csv(request: Request) -> Response:
    found = await _range_report(request)
    if isinstance(found, Response):
        return found
    report, lang = found
    buf = io.StringIO()
    w = csv.writer(buf)
    for table in tables(report, lang):
        w.writerow([table.title])
        w.writerow(table.header)
        w.writerows(["" if c is None else c for c in row] for row in table.rows)
        w.writerow([])
    return csv_attachment(buf.getvalue(), _filename(report, "csv"))


async def export_xlsx(request: Request) -> Response:
    found = await _range_report(request)
    if isinstance(found, Response):
        return found
    report, lang = found
    book = Workbook()
    book.remove(book.worksheets[0])
    for table in tables(report, lang):
        sheet = book.create_sheet(table.key)
        sheet.append([table.title])
        sheet.append(table.header)
        for row in table.rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 32
        sheet.freeze_panes = "B3"
    return workbook_attachment(book, _filename(report, "xlsx"))


async def monthly_page(request: Request) -> Response:
    found = await _office(request)
    if isinstance(found, Response):
        return found
    office, user = found
    service = services(request).reports
    lang = language(request)
    start, end = parse_month(request.query_params.get("month"), service.today(office))
    report = await service.report(office, start, end)
    ctx = {**_context(report, lang), "user": user, "month": start}
    return render(request, "reports_monthly.html", ctx)


def routes() -> list[BaseRoute]:
    m = "/manage/{office}/reports"
    return [
        Route(m, reports_page),
        Route(f"{m}/export.csv", export_csv),
        Route(f"{m}/export.xlsx", export_xlsx),
        Route(f"{m}/monthly", monthly_page),
    ]
