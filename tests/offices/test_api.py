"""The province admin's API: list, add (a copy, a JSON table, a TOML table), rename, close and
reopen offices on a running server, each served at once."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import httpx
import tomli_w

from queue_server.services.auth import AuthService
from queue_server.store import keys
from tests.conftest import OFFICE, ROOT
from tests.offices.conftest import bearer

API = "/api/v1/offices"


async def test_only_an_admin_manages_offices(
    client: httpx.AsyncClient, auth: AuthService, admin: dict[str, str]
) -> None:
    manager = await bearer(auth, "hoa", "manager")
    assert (await client.get(API)).status_code == 401
    assert (await client.get(API, headers=manager)).status_code == 403
    copy = {"copy_from": OFFICE, "slug": "phuong-kim-ma", "name": "Phường Kim Mã"}
    assert (await client.post(API, json=copy, headers=manager)).status_code == 403
    assert (await client.post(f"{API}/{OFFICE}/close", headers=manager)).status_code == 403
    listed = (await client.get(API, headers=admin)).json()["offices"]
    assert [(o["slug"], o["state"]) for o in listed] == [(OFFICE, "active")]


async def test_a_copy_is_served_at_once_and_renamed(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    copy = {"copy_from": OFFICE, "slug": "phuong-kim-ma", "name": "Phường Kim Mã",
            "address": "Số 2 Kim Mã"}  # fmt: skip
    res = await client.post(API, json=copy, headers=admin)
    assert res.status_code == 201, res.text
    assert res.json()["state"] == "active" and res.json()["changed_by"] == "tinh"
    office = (await client.get(f"{API}/phuong-kim-ma")).json()
    source = (await client.get(f"{API}/{OFFICE}")).json()
    assert office["name"] == "Phường Kim Mã" and office["fields"] == source["fields"]
    ticket = await client.post(f"{API}/phuong-kim-ma/tickets", json={"field": "HT"})
    assert ticket.status_code == 201, ticket.text
    assert (await client.get("/kiosk/phuong-kim-ma")).status_code == 200
    again = await client.post(API, json=copy, headers=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    renamed = await client.post(
        f"{API}/phuong-kim-ma/rename", json={"name": "Phường Kim Mã mới"}, headers=admin
    )
    assert renamed.status_code == 200 and renamed.json()["address"] == "Số 2 Kim Mã"
    assert (await client.get(f"{API}/phuong-kim-ma")).json()["name"] == "Phường Kim Mã mới"


async def test_an_imported_table_is_validated_before_anything_is_saved(
    client: httpx.AsyncClient, admin: dict[str, str], r: Any
) -> None:
    data = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    table = data["offices"][0]
    table.update(slug="xa-dong-anh", name="Xã Đông Anh", printers=[])
    table["counters"][0]["fields"] = ["KHONG"]
    # In JSON the calendar's days are "2026-01-02" strings.
    sent = json.loads(json.dumps(table, default=str))
    res = await client.post(API, json={"table": sent}, headers={**admin, "Accept-Language": "en"})
    assert res.status_code == 400
    assert res.json()["error"]["details"]["key"] == "office.counters[0].fields[0]"
    assert "office.counters[0].fields[0]" in res.json()["error"]["message"]
    assert await r.exists(keys.office_config("xa-dong-anh")) == 0
    assert (await client.get(f"{API}/xa-dong-anh")).status_code == 404
    # The same office as TOML text, put right: added.
    table["counters"][0]["fields"] = ["HT"]
    res = await client.post(API, json={"toml": tomli_w.dumps(table)}, headers=admin)
    assert res.status_code == 201, res.text
    assert (await client.get(f"{API}/xa-dong-anh")).json()["name"] == "Xã Đông Anh"
    bad = await client.post(API, json={"toml": "slug = "}, headers=admin)
    assert bad.status_code == 400 and "TOML" in bad.json()["error"]["message"]
    neither = await client.post(API, json={"slug": "x"}, headers=admin)
    assert neither.status_code == 400


async def test_a_closed_office_answers_410_but_keeps_its_reports_and_reopens(
    client: httpx.AsyncClient, admin: dict[str, str], auth: AuthService
) -> None:
    issued = await client.post(f"{API}/{OFFICE}/tickets", json={"field": "HT"})
    assert issued.status_code == 201
    closed = await client.post(f"{API}/{OFFICE}/close", headers=admin)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert closed.json()["periods"][-1]["to"] is not None
    refused = await client.post(f"{API}/{OFFICE}/tickets?lang=en", json={"field": "HT"})
    assert refused.status_code == 410
    assert refused.json()["error"] == {
        "code": "gone",
        "message": f"the office '{OFFICE}' is closed",
    }
    assert (await client.get(f"/kiosk/{OFFICE}")).status_code == 410
    assert (await client.get(f"/board/{OFFICE}")).status_code == 410
    manager = await bearer(auth, "hoa", "manager")
    report = await client.get(f"{API}/{OFFICE}/reports", headers=manager)
    assert report.status_code == 200 and report.json()["office"] == OFFICE
    assert (await client.post(f"{API}/{OFFICE}/close", headers=admin)).status_code == 409
    listed = (await client.get(API, headers=admin)).json()["offices"]
    assert [(o["slug"], o["state"]) for o in listed] == [(OFFICE, "closed")]
    reopened = await client.post(f"{API}/{OFFICE}/reopen", headers=admin)
    assert reopened.status_code == 200 and len(reopened.json()["periods"]) == 2
    assert (await client.post(f"{API}/{OFFICE}/tickets", json={"field": "HT"})).status_code == 201
