"""`/province/reports?month=YYYY-MM`: one month, the offices side by side (a row each,
the office report's figures as columns, the province's sum last), and the same table as
CSV and as an Excel workbook."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import BadRequest
from queue_server.services.province import ProvinceReport, rating_average
from queue_server.services.reports import Metrics, figures
from queue_server.web.api.reports import parse_month
from queue_server.web.http.errors import language
from queue_server.web.http.responses import csv_attachment, workbook_attachment
from queue_server.web.http.templates import page_admin, render
from queue_server.web.i18n import error_text, translate
from queue_server.web.manage.reports import COLUMNS, Cell, cell_text
from queue_server.web.wiring import services


def _cells(m: Metrics) -> list[Cell]:
    f = figures(m)
    return [*(f[c] for c in COLUMNS), rating_average(m["rated"])]


def header(lang: str) -> list[str]:
    return [
        translate("province.col.office", lang),
        *(translate(f"reports.col.{c}", lang) for c in COLUMNS),
        translate("province.col.rating", lang),
    ]


def rows(report: ProvinceReport) -> list[list[Cell]]:
    """A row per office: its name, then its figures in `header` order."""
    return [[r.office.name, *_cells(r.group("all"))] for r in report.offices]


def total_row(report: ProvinceReport, lang: str) -> list[Cell]:
    return [translate("province.total", lang), *_cells(report.total)]


async def _report(request: Request) -> tuple[ProvinceReport, date] | Response:
    """The month asked for (this month by default), or the login redirect / 403 page."""
    who = await page_admin(request)
    if isinstance(who, Response):
        return who
    province = services(request).province
    start, end = parse_month(request.query_params.get("month"), province.this_month())
    return await province.report(start, end), start


async def reports_page(request: Request) -> Response:
    who = await page_admin(request)
    if isinstance(who, Response):
        return who
    province = services(request).province
    lang = language(request)
    context: dict[str, Any] = {"user": who.name, "active": "reports", "header": header(lang),
                               "fmt": lambda v: cell_text(v, lang)}  # fmt: skip
    status = 200
    try:
        start, end = parse_month(request.query_params.get("month"), province.this_month())
    except BadRequest as exc:
        start, end = parse_month(None, province.this_month())
        context["form_error"] = error_text(exc, lang)
        status = 400
    report = await province.report(start, end)
    context |= {
        "report": report,
        "month": start.strftime("%Y-%m"),
        "rows": rows(report),
        "total": total_row(report, lang),
    }
    return render(request, "province/reports.html", context, status)


def _filename(month: date, ext: str) -> str:
    return f"bao-cao-tinh-{month.strftime('%Y-%m')}.{ext}"


async def export_csv(request: Request) -> Response:
    found = await _report(request)
    if isinstance(found, Response):
        return found
    report, month = found
    lang = language(request)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([f"{translate('province.reports.title', lang)} {month.strftime('%m/%Y')}"])
    w.writerow(header(lang))
    for row in [*rows(report), total_row(report, lang)]:
        w.writerow(["" if c is None else c for c in row])
    return csv_attachment(buf.getvalue(), _filename(month, "csv"))


async def export_xlsx(request: Request) -> Response:
    found = await _report(request)
    if isinstance(found, Response):
        return found
    report, month = found
    lang = language(request)
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = month.strftime("%Y-%m")
    sheet.append([f"{translate('province.reports.title', lang)} {month.strftime('%m/%Y')}"])
    sheet.append(header(lang))
    for row in [*rows(report), total_row(report, lang)]:
        sheet.append(row)
    sheet.column_dimensions["A"].width = 48
    sheet.freeze_panes = "B3"
    return workbook_attachment(book, _filename(month, "xlsx"))


def routes() -> list[BaseRoute]:
    p = "/province/reports"
    return [
        Route(p, reports_page),
        Route(f"{p}/export.csv", export_csv),
        Route(f"{p}/export.xlsx", export_xlsx),
    ]
