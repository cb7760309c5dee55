"""Inputs the API fuzzer (test_fuzz.py) found answered with a 5xx or a wrong answer."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import OFFICE

API = f"/api/v1/offices/{OFFICE}"


@pytest.fixture
def manager(manager_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {manager_token}"}


async def test_an_idempotency_key_reused_for_another_operation_is_a_new_request(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    key = {"Idempotency-Key": "same-key-0001"}
    opened = await http.post(f"{API}/counters/1/open", headers={**staff, **key})
    assert opened.status_code == 200
    # It answered 500: the store replayed the counter's state as if it were a called ticket.
    called = await http.post(f"{API}/counters/1/call-next", headers={**staff, **key})
    assert called.status_code == 204
    issued = (await http.post(f"{API}/tickets", json={"field": "HT"}, headers=key)).json()
    # It answered the issued ticket again, still waiting, and cancelled nothing.
    cancelled = await http.post(f"/api/v1/tickets/{issued['id']}/cancel", headers=key)
    assert cancelled.json()["status"] == "cancelled"
    # The same operation with the same key is still a harmless retry.
    again = await http.post(f"/api/v1/tickets/{issued['id']}/cancel", headers=key)
    assert again.status_code == 200 and again.json() == cancelled.json()


async def test_a_report_before_2000_is_refused(
    http: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    # Days before 1970 have no stream ids: Redis refused the range, answered as a 503.
    for start, end in (("0001-01-01", "0001-01-05"), ("1969-12-25", "1970-01-05")):
        resp = await http.get(f"{API}/reports", params={"from": start, "to": end}, headers=manager)
        assert resp.status_code == 400 and "2000" in resp.json()["error"]["message"]
    ok = await http.get(
        f"{API}/reports", params={"from": "2000-01-01", "to": "2000-01-31"}, headers=manager
    )
    assert ok.status_code == 200 and ok.json()["total"]["issued"] == 0


async def test_a_print_job_id_past_64_bits_is_not_found(
    http: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    # Redis refused the stream id, answered as a 503.
    for job in ("99999999999999999999-0", "1-18446744073709551616"):
        resp = await http.delete(f"{API}/printers/kiosk-1/jobs/{job}", headers=manager)
        assert resp.status_code == 404, resp.text
    resp = await http.delete(f"{API}/printers/kiosk-1/jobs/18446744073709551615-0", headers=manager)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
