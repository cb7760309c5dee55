"""The month across offices: the page, the CSV and the workbook hold the same table, a row
per office and the province's total; only a province admin reads them."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import httpx
from openpyxl import load_workbook

from queue_server.services.auth import AuthService
from tests.province.conftest import NAME_B, OFFICE_A, OFFICE_B, PASSWORD, TZ
from tests.province.test_api import call_next, issue
from tests.support.console import log_in

A = f"/api/v1/offices/{OFFICE_A}"
B = f"/api/v1/offices/{OFFICE_B}"
NAME_A = "Trung tâm Phục vụ hành chính công phường Ba Đình"


async def serve(http: httpx.AsyncClient, base: str, field: str, counter: int, staff: Any) -> str:
    ticket = await issue(http, base, field)
    assert await call_next(http, base, counter, staff) == ticket
    assert (await http.post(f"/api/v1/tickets/{ticket}/finish", headers=staff)).status_code == 200
    return ticket


async def test_month_side_by_side(
    http: httpx.AsyncClient, admin: dict[str, str], staff: dict[str, str]
) -> None:
    for base in (A, B):
        await http.post(f"{base}/counters/3/open", headers=staff)
    first = await serve(http, A, "CT", 3, staff)
    await serve(http, A, "CT", 3, staff)
    await serve(http, B, "CT", 3, staff)
    await issue(http, B, "HT")  # still waiting
    res = await http.post(f"/api/v1/tickets/{first}/rating", json={"level": 1})
    assert res.status_code == 201
    month = datetime.now(TZ).strftime("%Y-%m")

    res = await http.get(f"/api/v1/province/reports?month={month}", headers=admin)
    assert res.status_code == 200, res.text
    data = res.json()
    assert data["month"] == month
    by_office = {o["office"]: o for o in data["offices"]}
    assert (by_office[OFFICE_A]["issued"], by_office[OFFICE_A]["served"]) == (2, 2)
    assert (by_office[OFFICE_B]["issued"], by_office[OFFICE_B]["served"]) == (2, 1)
    assert by_office[OFFICE_A]["rating_average"] == 1.0
    assert by_office[OFFICE_B]["rating_average"] is None
    assert (data["total"]["issued"], data["total"]["served"], data["total"]["rated"]) == (4, 3, 1)

    res = await http.get(f"/province/reports/export.csv?month={month}", headers=admin)
    assert res.status_code == 200
    assert res.headers["content-disposition"] == f'attachment; filename="bao-cao-tinh-{month}.csv"'
    assert res.text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(res.text.lstrip("\ufeff"))))
    header = table[1]
    assert header[:3] == ["Trung tâm", "Số phát", "Đã phục vụ"]
    assert header[-1] == "Đánh giá TB (1 = rất hài lòng)"
    rows = {row[0]: row for row in table[2:]}
    assert set(rows) == {NAME_A, NAME_B, "Toàn tỉnh"}
    served = header.index("Đã phục vụ")
    assert [rows[n][served] for n in (NAME_A, NAME_B, "Toàn tỉnh")] == ["2", "1", "3"]
    assert rows[NAME_B][-1] == ""  # nobody rated there

    res = await http.get(f"/province/reports/export.xlsx?month={month}&lang=en", headers=admin)
    assert res.status_code == 200
    sheet = load_workbook(io.BytesIO(res.content)).worksheets[0]
    cells = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells[0][:3] == ["Centre", "Issued", "Served"]
    sheet_rows = {row[0]: row for row in cells[1:]}
    assert sheet_rows["Province"][1:3] == [4, 3]
    assert sheet_rows[NAME_A][-1] == 1.0 and sheet_rows[NAME_B][-1] is None


async def test_page_and_who_may_see_it(server: str, auth: AuthService) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as anonymous:
        res = await anonymous.get("/province/reports")
        assert res.status_code == 303 and res.headers["location"].startswith("/login?next=")
        assert (await anonymous.get("/province/reports/export.csv")).status_code == 303
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE_A])
    async with httpx.AsyncClient(base_url=server, timeout=10) as manager:
        await log_in(manager, "hoa")
        for path in ("/province", "/province/reports", "/province/reports/export.xlsx"):
            res = await manager.get(path)
            assert res.status_code == 403, path
            assert "quản trị hệ thống cấp tỉnh" in res.text
    await auth.add_user("tinh", "admin", PASSWORD)
    async with httpx.AsyncClient(base_url=server, timeout=10) as admin:
        await log_in(admin, "tinh")
        res = await admin.get("/province/reports?month=2026-11")
        assert res.status_code == 200
        assert 'value="2026-11"' in res.text and NAME_B in res.text
        assert "/province/reports/export.xlsx?month=2026-11" in res.text
        res = await admin.get("/province/reports?month=tháng-11")
        assert res.status_code == 400
        assert 'role="alert"' in res.text
