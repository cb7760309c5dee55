"""Warned before it is done: a transfer to a counter that is not open, and pausing or
closing the last open counter of a field while people wait. The API refuses (409, with the
counter and its state or how many wait) unless the request says `"force": true`, and then
leaves everything as it was."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import OFFICE

API = f"/api/v1/offices/{OFFICE}"


async def issue(http: httpx.AsyncClient, field: str = "HT") -> Any:
    res = await http.post(f"{API}/tickets", json={"field": field})
    assert res.status_code == 201, res.text
    return res.json()


async def counter(http: httpx.AsyncClient, staff: dict[str, str], n: int, action: str,
                  **body: Any) -> httpx.Response:  # fmt: skip
    return await http.post(f"{API}/counters/{n}/{action}", json=body or None, headers=staff)


async def transfer(http: httpx.AsyncClient, staff: dict[str, str], tid: str, **body: Any) -> Any:
    return await http.post(f"/api/v1/tickets/{tid}/transfer", json=body, headers=staff)


async def test_a_transfer_to_a_closed_or_paused_counter_is_refused_unless_forced(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    assert (await counter(http, staff, 2, "open")).status_code == 200
    assert (await counter(http, staff, 2, "pause")).status_code == 200
    ticket = await issue(http)
    events = (await http.get(f"{API}/queue", headers=staff)).json()["last_event"]

    closed = await transfer(http, staff, ticket["id"], counter=3)
    assert closed.status_code == 409
    assert closed.json()["error"] == {
        "code": "counter_closed",
        "message": f"Quầy 3 đang đóng: số {ticket['number']} sẽ phải chờ đến khi quầy mở lại."
        ' Hãy chọn quầy khác, hoặc gửi "force": true nếu vẫn chuyển.',
        "details": {"counter": 3, "name": "Quầy 3", "status": "closed"},
    }
    paused = await transfer(http, staff, ticket["id"], counter=2)
    assert paused.status_code == 409 and paused.json()["error"]["code"] == "counter_paused"
    assert "Quầy 2 đang tạm dừng" in paused.json()["error"]["message"]
    english = await http.post(
        f"/api/v1/tickets/{ticket['id']}/transfer", json={"counter": 3},
        headers={**staff, "Accept-Language": "en"},
    )  # fmt: skip
    assert english.json()["error"]["message"].startswith("the counter Quầy 3 is closed")
    # Refused: nothing moved, nothing happened.
    after = (await http.get(f"/api/v1/tickets/{ticket['id']}")).json()
    assert after["lane"] == "HT" and after["waiting_at"] is None
    assert (await http.get(f"{API}/queue", headers=staff)).json()["last_event"] == events

    assert (await transfer(http, staff, ticket["id"], counter=3, force="yes")).status_code == 400
    moved = await transfer(http, staff, ticket["id"], counter=3, force=True)
    assert moved.status_code == 200 and moved.json()["lane"] == "@3"
    # The citizen's ticket says where it waits, that the counter is closed, and no estimate.
    placed = (await http.get(f"/api/v1/tickets/{ticket['id']}")).json()
    assert placed["waiting_at"] == {"counter": 3, "name": "Quầy 3", "status": "closed"}
    assert placed["position"] == 0 and placed["estimated_wait_s"] is None
    # To an open counter, no question asked.
    assert (await counter(http, staff, 2, "open")).status_code == 200
    to_open = await transfer(http, staff, ticket["id"], counter=2)
    assert to_open.status_code == 200 and to_open.json()["lane"] == "@2"
    placed = (await http.get(f"/api/v1/tickets/{ticket['id']}")).json()
    assert placed["waiting_at"]["status"] == "open" and placed["estimated_wait_s"] is not None


async def test_the_last_open_counter_of_a_field_with_people_waiting_asks_first(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    for _ in range(4):
        await issue(http, "HT")
    assert (await counter(http, staff, 1, "open")).status_code == 200  # HT and TP
    before = (await http.get(f"{API}/queue", headers=staff)).json()

    for action, verb in (("pause", "tạm dừng"), ("close", "đóng")):
        res = await counter(http, staff, 1, action)
        assert res.status_code == 409
        assert res.json()["error"] == {
            "code": "last_counter",
            "message": "Quầy 1 là quầy cuối cùng đang mở cho lĩnh vực Hộ tịch; còn 4 người"
            f' đang chờ. Gửi "force": true nếu vẫn {verb} quầy.',
            "details": {
                "counter": 1, "action": action, "waiting": 4,
                "fields": [{"code": "HT", "name_vi": "Hộ tịch", "name_en": "Civil status",
                            "waiting": 4}],
                "own": 0,
            },
        }  # fmt: skip
    # Still open, and no event: the kiosk still offers Hộ tịch.
    after = (await http.get(f"{API}/queue", headers=staff)).json()
    assert after["last_event"] == before["last_event"]
    assert next(c for c in after["counters"] if c["number"] == 1)["status"] == "open"

    # With another counter open for Hộ tịch, counter 1 is not the last one.
    assert (await counter(http, staff, 2, "open")).status_code == 200
    assert (await counter(http, staff, 1, "pause")).status_code == 200
    # Counter 2 now is; it closes when the clerk says so.
    assert (await counter(http, staff, 2, "close")).json()["error"]["details"]["waiting"] == 4
    res = await counter(http, staff, 2, "close", force=True)
    assert res.status_code == 200 and res.json()["status"] == "closed"
    overview = (await http.get(f"{API}/overview")).json()
    assert next(f for f in overview["fields"] if f["code"] == "HT")["open_counters"] == 0


async def test_nobody_waiting_or_a_field_still_served_needs_no_question(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    assert (await counter(http, staff, 5, "open")).status_code == 200  # LD, TP, DD
    assert (await counter(http, staff, 5, "pause")).status_code == 200  # nobody waits
    assert (await counter(http, staff, 5, "open")).status_code == 200
    assert (await counter(http, staff, 4, "open")).status_code == 200  # DD
    await issue(http, "DD")
    assert (await counter(http, staff, 5, "close")).status_code == 200  # counter 4 serves DD


async def test_tickets_sent_to_a_counter_are_counted_when_it_closes(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    """No other counter calls a ticket transferred to this one: closing it asks too."""
    assert (await counter(http, staff, 1, "open")).status_code == 200
    assert (await counter(http, staff, 2, "open")).status_code == 200
    sent = await issue(http, "HT")
    assert (await transfer(http, staff, sent["id"], counter=2)).status_code == 200
    res = await counter(http, staff, 2, "close")  # counter 1 still serves Hộ tịch
    assert res.status_code == 409
    assert res.json()["error"]["message"] == (
        'Còn 1 người được chuyển đến Quầy 2 đang chờ. Gửi "force": true nếu vẫn đóng quầy.'
    )
    assert res.json()["error"]["details"] == {
        "counter": 2, "action": "close", "waiting": 0, "fields": [], "own": 1,
    }  # fmt: skip
    assert (await counter(http, staff, 2, "close", force=True)).status_code == 200
