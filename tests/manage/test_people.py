"""Staff accounts, devices with their tokens, and printers' stuck jobs in the console."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from queue_server.errors import Unauthorized
from queue_server.services.auth import AuthService
from queue_server.store import keys
from queue_server.store.accounts import Accounts, Principal
from queue_server.store.printjobs import PrintJobs
from tests.manage.conftest import OFFICE, PASSWORD, Session
from tests.manage.test_settings import error_for

BASE = f"/manage/{OFFICE}"
API = f"/api/v1/offices/{OFFICE}"


async def last_event(r: Any) -> tuple[str, dict[str, Any]]:
    ((_, entry),) = await r.xrevrange(keys.events(OFFICE), count=1)
    return entry["type"], json.loads(entry["data"])


async def test_accounts_list_and_remove_users_with_their_tokens(r: Any) -> None:
    accounts = Accounts(r)
    auth = AuthService(accounts)
    await auth.add_user("lan", "staff", PASSWORD)
    await auth.add_user("hoa", "manager", PASSWORD)
    t1, _ = await auth.login("lan", PASSWORD)
    t2, _ = await auth.login("lan", PASSWORD)
    assert await accounts.users() == [
        {"name": "hoa", "role": "manager"},
        {"name": "lan", "role": "staff"},
    ]
    assert await auth.authenticate(t1) == Principal("user", "lan", "staff")
    assert await accounts.delete_user("lan")
    assert await auth.authenticate(t1) is None and await auth.authenticate(t2) is None
    assert await accounts.users() == [{"name": "hoa", "role": "manager"}]
    assert not await accounts.delete_user("lan")
    assert await r.exists(keys.user_tokens("lan")) == 0


async def test_role_and_password_changes_log_the_user_out(r: Any) -> None:
    auth = AuthService(Accounts(r))
    boss = Principal("user", "hoa", "manager")
    await auth.add_user("lan", "staff", PASSWORD)
    token, _ = await auth.login("lan", PASSWORD)
    await auth.set_role(boss, "lan", "manager")
    assert await auth.authenticate(token) is None
    token, who = await auth.login("lan", PASSWORD)
    assert who.role == "manager"
    await auth.set_password(boss, "lan", "mat-khau-moi-1")
    assert await auth.authenticate(token) is None
    try:
        await auth.login("lan", PASSWORD)
        raise AssertionError("the old password still works")
    except Unauthorized:
        pass
    assert (await auth.login("lan", "mat-khau-moi-1"))[1].role == "manager"


async def test_device_last_seen_is_written_once_a_minute(r: Any) -> None:
    accounts = Accounts(r)
    auth = AuthService(accounts)
    token = await auth.add_device("kiosk-1", "kiosk", OFFICE)
    (device,) = await auth.devices(OFFICE)
    assert "last_seen" not in device and "token" not in device
    assert (await auth.authenticate(token)) == Principal("device", "kiosk-1", "kiosk", OFFICE)
    first = int((await auth.devices(OFFICE))[0]["last_seen"])
    await r.hset(keys.device("kiosk-1"), "last_seen", 1)
    await auth.authenticate(token)  # within the minute: no write
    assert (await auth.devices(OFFICE))[0]["last_seen"] == "1"
    assert first > 1
    assert await auth.remove_device("kiosk-1")
    assert await auth.authenticate(token) is None
    await accounts.touch_device("kiosk-1", 5)  # a late "seen" does not bring it back
    assert await r.exists(keys.device("kiosk-1")) == 0 and await auth.devices(OFFICE) == []


async def test_staff_add_change_and_remove_in_the_console(
    manager: Session, server: str, r: Any
) -> None:
    res = await manager.post(
        f"{BASE}/staff/add", {"name": "minh", "role": "staff", "password": "ngan"}
    )
    assert res.status_code == 400
    assert error_for(res.text, "password") == "Mật khẩu cần ít nhất 8 ký tự."
    assert not await r.exists(keys.user("minh"))
    res = await manager.post(
        f"{BASE}/staff/add", {"name": "minh", "role": "admin", "password": PASSWORD}
    )
    assert error_for(res.text, "role") == "Lựa chọn không hợp lệ."  # above the manager's own
    res = await manager.post(
        f"{BASE}/staff/add", {"name": "minh", "role": "staff", "password": PASSWORD}
    )
    assert res.status_code == 303
    assert await last_event(r) == (
        "staff.changed",
        {"action": "added", "user": "minh", "role": "staff", "by": "hoa"},
    )
    res = await manager.post(
        f"{BASE}/staff/add", {"name": "minh", "role": "staff", "password": PASSWORD}
    )
    assert error_for(res.text, "name") == "Tên đăng nhập 'minh' đã có người dùng."
    page = await manager.get(f"{BASE}/staff")
    assert 'data-user="minh"' in page.text
    async with httpx.AsyncClient(base_url=server) as other:
        token = (
            await other.post("/api/v1/auth/token", json={"username": "minh", "password": PASSWORD})
        ).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    async with httpx.AsyncClient(base_url=server) as other:
        assert (await other.post(f"{API}/counters/1/open", headers=bearer)).status_code == 200
        res = await manager.post(f"{BASE}/staff/minh/delete")
        assert res.status_code == 303
        assert (await other.post(f"{API}/counters/1/open", headers=bearer)).status_code == 401
    assert await last_event(r) == (
        "staff.changed",
        {"action": "delete", "user": "minh", "by": "hoa"},
    )
    res = await manager.post(f"{BASE}/staff/hoa/delete")
    assert res.status_code == 400 and "Không thể tự xóa" in res.text


async def test_device_token_is_shown_once(
    manager: Session, http: httpx.AsyncClient, r: Any
) -> None:
    res = await manager.post(f"{BASE}/devices/add", {"name": "kiosk-sanh", "kind": "kiosk"})
    assert res.status_code == 200 and res.headers["cache-control"] == "no-store"
    token = re.search(r"data-token>([^<]+)<", res.text)
    assert token is not None
    assert await last_event(r) == (
        "device.changed",
        {"action": "token", "device": "kiosk-sanh", "kind": "kiosk", "by": "hoa"},
    )
    page = await manager.get(f"{BASE}/devices")
    assert token[1] not in page.text and 'data-device="kiosk-sanh"' in page.text
    assert "Chưa kết nối" in page.text
    bearer = {"Authorization": f"Bearer {token[1]}"}
    assert (await http.get(f"/api/v1/offices/{OFFICE}/printers", headers=bearer)).status_code == 200
    row = re.search(
        r'data-device="kiosk-sanh">(.*?)</tr>', (await manager.get(f"{BASE}/devices")).text, re.S
    )
    assert row is not None and "Trực tuyến" in row[1] and "0 phút trước" in row[1]
    res = await manager.post(f"{BASE}/devices/kiosk-sanh/delete")
    assert res.status_code == 303
    assert (await http.get(f"/api/v1/offices/{OFFICE}/printers", headers=bearer)).status_code == 401
    res = await manager.post(f"{BASE}/devices/add", {"name": "máy 1", "kind": "kiosk"})
    assert res.status_code == 400 and error_for(res.text, "name") is not None


async def test_stuck_print_job_can_be_cleared(manager: Session, r: Any) -> None:
    jobs = PrintJobs(r)
    await jobs.ensure_group(OFFICE, "kiosk-1")
    job = await jobs.enqueue(
        OFFICE,
        "kiosk-1",
        "ticket",
        {"number": "A007"},
        ticket=None,
        requested_by="kiosk",
        now_ms=1,
    )
    taken = await jobs.next_job(OFFICE, "kiosk-1", 10)
    assert taken is not None and taken.id == job
    assert await jobs.hold(OFFICE, "kiosk-1", job, "uncertain", "agent stopped", 1)
    page = await manager.get(f"{BASE}/devices")
    assert f'data-job="{job}"' in page.text and "A007" in page.text
    res = await manager.post(f"{BASE}/printers/kiosk-1/jobs/{job}/clear")
    assert res.status_code == 303
    assert await jobs.held(OFFICE, "kiosk-1") == []
    res = await manager.post(f"{BASE}/printers/kiosk-1/jobs/{job}/clear")
    assert res.status_code == 404


async def test_held_ticket_is_printed_again(
    manager: Session, http: httpx.AsyncClient, r: Any
) -> None:
    issued = (await http.post(f"{API}/tickets", json={"field": "HT"})).json()
    ticket = issued["id"]
    jobs = PrintJobs(r)
    await jobs.ensure_group(OFFICE, "kiosk-1")
    job = await jobs.enqueue(
        OFFICE, "kiosk-1", "ticket", {"number": "A001"}, ticket=ticket, requested_by="kiosk",
        now_ms=1,
    )  # fmt: skip
    assert await jobs.next_job(OFFICE, "kiosk-1", 10) is not None
    assert await jobs.hold(OFFICE, "kiosk-1", job, "uncertain", "agent stopped", 1)
    res = await manager.post(f"{BASE}/printers/kiosk-1/jobs/{job}/reprint", {"ticket": ticket})
    assert res.status_code == 303 and res.headers["location"].endswith("?saved=reprinted")
    assert await jobs.held(OFFICE, "kiosk-1") == []
    (again,) = await jobs.waiting(OFFICE, "kiosk-1")
    assert again.ticket == ticket and again.requested_by == "hoa"
