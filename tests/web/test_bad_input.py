"""Inputs the API fuzzer (test_fuzz.py) found answered with a 5xx or a wrong answer."""

from __future__ import annotations

import httpx

from tests.conftest import OFFICE

API = f"/api/v1/offices/{OFFICE}"


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
