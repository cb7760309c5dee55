"""The province API: each office's figures now, with tickets in every state, and who may
read them."""

from __future__ import annotations

from typing import Any

import httpx

from queue_server.services.province import office_row, rating_average
from queue_server.services.reports import new_metrics
from tests.conftest import ROOT
from tests.province.conftest import NAME_B, OFFICE_A, OFFICE_B, ShiftedClock, two_offices

A = f"/api/v1/offices/{OFFICE_A}"
B = f"/api/v1/offices/{OFFICE_B}"


async def issue(http: httpx.AsyncClient, base: str, field: str) -> str:
    res = await http.post(f"{base}/tickets", json={"field": field})
    assert res.status_code == 201, res.text
    return str(res.json()["id"])


async def call_next(http: httpx.AsyncClient, base: str, counter: int, staff: Any) -> str:
    res = await http.post(f"{base}/counters/{counter}/call-next", headers=staff)
    assert res.status_code == 200, res.text
    return str(res.json()["id"])


async def test_figures_of_two_offices(
    http: httpx.AsyncClient, shifted: ShiftedClock, admin: dict[str, str],
    staff: dict[str, str],
) -> None:  # fmt: skip
    shifted.start(16)
    # 16 minutes before "now": two Hộ tịch tickets (target 15 minutes) in A.
    first = await issue(http, A, "HT")
    await issue(http, A, "HT")
    shifted.forward(16)
    assert (await http.post(f"{A}/counters/1/open", headers=staff)).status_code == 200
    # Called after 16 minutes: served, but not within the target wait.
    assert await call_next(http, A, 1, staff) == first
    assert (await http.post(f"/api/v1/tickets/{first}/finish", headers=staff)).status_code == 200
    # Today's fold is kept from here on and read on from the events added since.
    res = await http.get("/api/v1/province/overview", headers=admin)
    served = {r["office"]: r["served_today"] for r in res.json()["offices"]}
    assert served == {OFFICE_A: 1, OFFICE_B: 0}
    # Chứng thực, called at once by counter 3, whose first field it is.
    quick = await issue(http, A, "CT")
    await http.post(f"{A}/counters/3/open", headers=staff)
    assert await call_next(http, A, 3, staff) == quick
    await http.post(f"/api/v1/tickets/{quick}/start", headers=staff)
    await http.post(f"/api/v1/tickets/{quick}/finish", headers=staff)
    for ticket, level in ((first, 2), (quick, 1)):
        res = await http.post(f"/api/v1/tickets/{ticket}/rating", json={"level": level})
        assert res.status_code == 201, res.text
    # A ticket called and absent, one cancelled: neither served nor waiting.
    gone = await issue(http, A, "CT")
    assert await call_next(http, A, 3, staff) == gone
    await http.post(f"/api/v1/tickets/{gone}/no-show", headers=staff)
    cancelled = await issue(http, A, "LD")
    assert (await http.post(f"/api/v1/tickets/{cancelled}/cancel")).status_code == 200
    # B: one ticket waiting just now, nothing served, no counter open.
    await issue(http, B, "DD")

    res = await http.get("/api/v1/province/overview", headers=admin)
    assert res.status_code == 200, res.text
    assert res.headers["cache-control"] == "no-store"
    rows = {row["office"]: row for row in res.json()["offices"]}
    a, b = rows[OFFICE_A], rows[OFFICE_B]
    assert a["waiting"] == 1  # the second Hộ tịch ticket
    assert 16 * 60 <= a["longest_wait_s"] < 17 * 60
    assert a["overdue"] is True and a["overdue_fields"] == ["HT"]
    assert a["counters_open"] == 2 and a["counters"] == 5
    assert a["served_today"] == 2 and a["within_target_today"] == 1
    assert a["within_target_share"] == 50.0
    assert a["rated_today"] == 2 and a["rating_average"] == 1.5
    assert b == {
        **b,
        "name": NAME_B,
        "waiting": 1,
        "overdue": False,
        "overdue_fields": [],
        "counters_open": 0,
        "served_today": 0,
        "within_target_share": None,
        "rating_average": None,
    }
    assert b["longest_wait_s"] < 60
    # The moment B's ticket passes Địa chính's 30 minutes, for a page to mark it then.
    assert b["overdue_at_ms"] == b["longest_since_ms"] + 30 * 60_000


async def test_admins_only_and_bad_months(
    http: httpx.AsyncClient, staff: dict[str, str], admin: dict[str, str], auth: Any
) -> None:
    await auth.add_user("hoa", "manager", "mat-khau-123", offices=[OFFICE_A])
    token, _ = await auth.login("hoa", "mat-khau-123")
    manager = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/province/overview", "/api/v1/province/reports"):
        assert (await http.get(path)).status_code == 401
        assert (await http.get(path, headers=staff)).status_code == 403
        assert (await http.get(path, headers=manager)).status_code == 403
        assert (await http.get(path, headers=admin)).status_code == 200
    for month in ("2026-13", "1999-12", "9999-12", "11-2026"):
        res = await http.get(f"/api/v1/province/reports?month={month}", headers=admin)
        assert res.status_code == 400, month
    res = await http.get("/api/v1/province/reports?month=2026-13", headers=admin)
    assert "2026-13" in res.json()["error"]["message"]


def test_a_row_marks_a_wait_past_its_fields_target() -> None:
    office = two_offices("redis://localhost", ROOT / "data").offices[0]
    now = 10_000_000_000
    lanes: dict[str, list[dict[str, Any]]] = {
        # Chứng thực's target is 10 minutes, Hộ tịch's 15.
        "CT": [{"field": "CT", "issued_at": now - 9 * 60_000}],
        "HT": [{"field": "HT", "issued_at": now - 14 * 60_000}],
        "@3": [{"field": "CT", "issued_at": now - 11 * 60_000}],  # transferred
    }
    counters = [{"status": "open"}, {"status": "paused"}, {"status": "closed"}]
    snapshot = {"day": "2026-12-07", "lanes": lanes, "counters": counters}
    row = office_row(office, snapshot, new_metrics(), now)
    assert (row.waiting, row.longest_wait_s, row.counters_open) == (3, 14 * 60, 1)
    assert row.overdue and row.overdue_fields == ["CT"]
    assert row.overdue_at_ms == now - 60_000
    del lanes["@3"]
    row = office_row(office, snapshot, new_metrics(), now)
    assert not row.overdue and row.overdue_at_ms == now + 60_000


def test_rating_average_is_the_mean_level() -> None:
    assert rating_average([0, 0, 0, 0, 0]) is None
    assert rating_average([3, 1, 0, 0, 0]) == 1.25
    assert rating_average([0, 0, 0, 1, 1]) == 4.5
