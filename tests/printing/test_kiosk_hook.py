"""The kiosk asks for its ticket to be printed as it is issued: one ticket, one print job."""

from __future__ import annotations

import json
from typing import Any

import httpx

from queue_server.store import keys
from tests.printing.conftest import OFFICE

TICKETS = f"/api/v1/offices/{OFFICE}/tickets"


async def test_a_retried_issue_with_the_same_key_gives_one_ticket_and_one_job(
    client: httpx.AsyncClient, r: Any, staff: dict[str, str]
) -> None:
    headers = {"Idempotency-Key": "kiosk-1:0001:retry-test"}
    body = {"field": "CT", "priority": "elderly", "printer": "kiosk-1"}
    answers = [(await client.post(TICKETS, json=body, headers=headers)) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    first = answers[0].json()
    assert {a.json()["id"] for a in answers} == {first["id"]}
    assert {a.json()["print_job"] for a in answers} == {first["print_job"]}

    # Nobody drives kiosk-1 (its agent is not running): the job waits, once.
    res = await client.get(f"/api/v1/offices/{OFFICE}/printers", headers=staff)
    kiosk = next(p for p in res.json()["printers"] if p["name"] == "kiosk-1")
    assert kiosk["state"] == "disconnected" and kiosk["driver"] == "agent"
    assert [(j["id"], j["ticket"], j["number"]) for j in kiosk["pending"]] == [
        (first["print_job"], first["id"], first["number"])
    ]
    [(_, fields)] = await r.xrange(keys.print_jobs(OFFICE, "kiosk-1"))
    data = json.loads(fields["data"])
    assert data["office"] == "Trung tâm Phục vụ hành chính công phường Ba Đình"
    assert data["field"] == "Chứng thực" and data["number"] == first["number"]
    assert data["priority"] == "Người cao tuổi"
    assert data["url"].endswith(f"/t/{first['id']}")
    assert data["footer"].startswith("Xin cảm ơn quý công dân")
    assert data["people_ahead"] == 0 and data["issued_at"].endswith("+07:00")


async def test_without_a_key_each_issue_is_a_new_ticket_and_job(
    client: httpx.AsyncClient, r: Any
) -> None:
    for _ in range(2):
        res = await client.post(TICKETS, json={"field": "HT", "printer": "kiosk-1"})
        assert res.status_code == 201
    assert await r.xlen(keys.print_jobs(OFFICE, "kiosk-1")) == 2


async def test_an_unknown_printer_is_404_and_issues_no_ticket(
    client: httpx.AsyncClient, r: Any, staff: dict[str, str]
) -> None:
    res = await client.post(TICKETS, json={"field": "HT", "printer": "khong-co"})
    assert res.status_code == 404
    assert res.json()["error"]["message"].startswith("Không có máy in 'khong-co'")
    en = await client.post(TICKETS, json={"field": "HT", "printer": "khong-co"},
                           params={"lang": "en"})  # fmt: skip
    assert en.json()["error"]["message"].startswith("no printer 'khong-co' in this office")
    bad = await client.post(TICKETS, json={"field": "HT", "printer": 7})
    assert bad.status_code == 400
    queue = await client.get(f"/api/v1/offices/{OFFICE}/queue", headers=staff)
    assert all(lane == [] for lane in queue.json()["lanes"].values())
    events = await r.xrange(keys.events(OFFICE))
    assert [f["type"] for _, f in events if f["type"].startswith("ticket.")] == []
