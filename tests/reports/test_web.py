"""Report routes over HTTP: roles, the page, CSV and Excel with the same figures, bad input."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from queue_server.services.auth import AuthService
from queue_server.services.clock import Clock, local_day
from tests.reports import history
from tests.reports.conftest import BOOKINGS, OFFICE, expected, generate
from tests.reports.history import TZ

BASE = f"/manage/{OFFICE}/reports"
ROUTES = [BASE, f"{BASE}/export.csv", f"{BASE}/export.xlsx", f"{BASE}/monthly"]


@pytest.fixture
async def manager(auth: AuthService) -> dict[str, str]:
    await auth.add_user("truong", "manager", "mat-khau-123", offices=[OFFICE])
    token, _ = await auth.login("truong", "mat-khau-123")
    return {"Authorization": f"Bearer {token}"}


def _recent_days() -> list[date]:
    today = date.fromisoformat(local_day(Clock().now_ms(), TZ))
    return [today - timedelta(days=i) for i in (3, 2, 1)]


def _value(cell: Any) -> Any:
    """A cell as a number where it is one (CSV gives text, the workbook typed values)."""
    if cell is None or cell == "":
        return None
    try:
        return float(cell)
    except ValueError:
        return str(cell)


@pytest.fixture
async def recent(r: Any) -> tuple[list[date], list[history.Visit]]:
    """Three days before today, written before the server starts: a stream takes new ids
    only after its newest one, and a starting server appends events of today."""
    days = _recent_days()
    visits = generate(days, per_day=40)
    staff = {(d, c): n for d in days for c, n in ((1, "lan"), (2, "minh"), (3, "hoa"))}
    shifted = [
        history.Booking(days[i], b.at, b.etype, b.kind, b.field)
        for i, b in ((min(2, j // 4), b) for j, b in enumerate(BOOKINGS))
    ]
    await history.write(r, OFFICE, history.events(OFFICE, visits, staff, shifted))
    return days, visits


async def test_roles(http: httpx.AsyncClient, staff: dict[str, str]) -> None:
    for path in ROUTES:
        anon = await http.get(path, follow_redirects=False)
        assert anon.status_code == 303, path
        assert anon.headers[
            "location"
        ] == f"/login?next={path.replace('/', '%2F')}" or anon.headers["location"].startswith(
            "/login?next="
        )
        assert (await http.get(path, headers=staff)).status_code == 403, path
    assert (await http.get(f"/api/v1/offices/{OFFICE}/reports")).status_code == 401
    assert (await http.get(f"/api/v1/offices/{OFFICE}/reports", headers=staff)).status_code == 403


async def test_page_csv_and_xlsx_show_the_same_figures(
    recent: tuple[list[date], list[history.Visit]],
    http: httpx.AsyncClient,
    manager: dict[str, str],
) -> None:
    days, visits = recent
    query = {"from": days[0].isoformat(), "to": days[-1].isoformat()}
    page = await http.get(BASE, params=query, headers=manager)
    assert page.status_code == 200
    want = expected(visits)
    assert (
        f'data-kpi="issued">\n    <span>Số phát</span>\n    <strong>{want["issued"]}</strong>'
        in (page.text)
    )
    assert page.text.count('<svg class="chart"') == 4

    api = (
        await http.get(f"/api/v1/offices/{OFFICE}/reports", params=query, headers=manager)
    ).json()
    assert api["total"]["issued"] == want["issued"] and api["total"]["p90_wait"] == want["p90_wait"]
    assert api["total"]["avg_service"] == want["avg_service"]

    got_csv = await http.get(f"{BASE}/export.csv", params=query, headers=manager)
    assert got_csv.status_code == 200 and got_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in got_csv.headers["content-disposition"]
    sections: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(got_csv.text.lstrip("\ufeff"))):
        if row:
            sections[-1].append(row)
        else:
            sections.append([])
    sections = [s for s in sections if s]

    got_xlsx = await http.get(f"{BASE}/export.xlsx", params=query, headers=manager)
    book = load_workbook(io.BytesIO(got_xlsx.content))
    assert book.sheetnames == ["days", "field", "counter", "staff", "class", "ratings", "reasons",
                               "hours"]  # fmt: skip
    assert len(sections) == len(book.sheetnames)
    for section, name in zip(sections, book.sheetnames, strict=True):
        rows = [[_value(c) for c in row] for row in book[name].iter_rows(values_only=True)]
        cells = [[_value(c) for c in row] for row in section]
        assert [row[: len(c)] for row, c in zip(rows, cells, strict=True)] == cells, name

    # The total row of the day table carries the figures computed independently.
    header, total = sections[0][1], sections[0][-1]
    assert total[0] == "Tổng cộng"
    assert int(total[header.index("Số phát")]) == want["issued"]
    assert int(total[header.index("Vắng mặt")]) == want["no_show"]
    assert float(total[header.index("Chờ TB (phút)")]) == want["avg_wait"]
    assert int(total[header.index("Chờ P90 (phút)")]) == want["p90_wait"]
    assert float(total[header.index("Đạt chuẩn chờ (%)")]) == want["service_level"]
    assert float(total[header.index("Hài lòng (%)")]) == want["satisfaction"]

    english = await http.get(f"{BASE}/export.csv", params={**query, "lang": "en"}, headers=manager)
    assert "Avg wait (min)" in english.text and "By field" in english.text


async def test_monthly_print_page(
    recent: tuple[list[date], list[history.Visit]],
    http: httpx.AsyncClient,
    manager: dict[str, str],
) -> None:
    days, visits = recent
    month = days[-1].strftime("%Y-%m")
    page = await http.get(f"{BASE}/monthly", params={"month": month}, headers=manager)
    assert page.status_code == 200
    assert f"{days[-1]:%m/%Y}" in page.text and "@page" not in page.text  # print CSS is a file
    in_month = [v for v in visits if v.day.strftime("%Y-%m") == month]
    assert f"<strong>{len(in_month)}</strong>" in page.text
    bad = await http.get(f"{BASE}/monthly", params={"month": "2026-13"}, headers=manager)
    assert bad.status_code == 400 and "Tháng không hợp lệ" in bad.json()["error"]["message"]


async def test_bad_ranges_get_a_clear_message(
    http: httpx.AsyncClient, manager: dict[str, str], r: Any
) -> None:
    csv_ = await http.get(f"{BASE}/export.csv", params={"from": "2020-01-01"}, headers=manager)
    assert csv_.status_code == 400 and "tối đa" in csv_.json()["error"]["message"]
    xlsx = await http.get(f"{BASE}/export.xlsx?from=2026-11-02&to=2026-11-01", headers=manager)
    assert xlsx.status_code == 400
    # Nothing was aggregated for the refused requests (the scheduler stores the last week).
    assert not [k for k in await r.keys("*:agg*") if "2020" in k or ":aggm:" in k]
    # The page says what is wrong above this month's report.
    page = await http.get(BASE, params={"from": "2026-11-30", "to": "2026-11-01"}, headers=manager)
    assert page.status_code == 400
    assert 'class="mg-alert" role="alert">Ngày kết thúc phải sau ngày bắt đầu.' in page.text
    assert 'value="2026-11-30"' in page.text  # the manager's input stays in the form
    page = await http.get(BASE, params={"from": "hôm qua", "lang": "en"}, headers=manager)
    assert page.status_code == 400 and "must be a date like 2026-11-01" in page.text
