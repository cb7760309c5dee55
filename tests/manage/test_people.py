"""Staff accounts, devices with their tokens, and printers' stuck jobs in the console."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import unicodedata
from typing import Any

import httpx
import pytest

from queue_server.config import Config
from queue_server.errors import BadRequest, Unauthorized
from queue_server.people import Principal
from queue_server.services.auth import AuthService, clean_full_name, suggest_login
from queue_server.store import keys
from queue_server.store.accounts import Accounts, digest
from queue_server.store.connection import EmbeddedRedis, connect
from queue_server.store.printjobs import PrintJobs
from queue_server.web.i18n import error_text
from tests.conftest import ROOT, start_server
from tests.manage.test_settings import error_for
from tests.support.console import OFFICE, PASSWORD, Session

BASE = f"/manage/{OFFICE}"
API = f"/api/v1/offices/{OFFICE}"


async def last_event(r: Any) -> tuple[str, dict[str, Any]]:
    ((_, entry),) = await r.xrevrange(keys.events(OFFICE), count=1)
    return entry["type"], json.loads(entry["data"])


async def test_accounts_list_and_remove_users_with_their_tokens(r: Any) -> None:
    accounts = Accounts(r)
    auth = AuthService(accounts)
    await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])
    await auth.add_user("hoa", "manager", PASSWORD, offices=[OFFICE])
    t1, _ = await auth.login("lan", PASSWORD)
    t2, _ = await auth.login("lan", PASSWORD)
    assert await accounts.users() == [
        {"name": "hoa", "role": "manager", "full_name": "", "offices": {OFFICE: "manager"}},
        {"name": "lan", "role": "staff", "full_name": "", "offices": {OFFICE: "staff"}},
    ]
    assert await auth.authenticate(t1) == Principal(
        "user", "lan", "staff", grants=((OFFICE, "staff"),)
    )
    assert await accounts.delete_user("lan")
    assert await auth.authenticate(t1) is None and await auth.authenticate(t2) is None
    assert await accounts.users() == [
        {"name": "hoa", "role": "manager", "full_name": "", "offices": {OFFICE: "manager"}}
    ]
    assert not await accounts.delete_user("lan")
    assert await r.exists(keys.user_tokens("lan")) == 0


async def test_role_and_password_changes_log_the_user_out(r: Any) -> None:
    auth = AuthService(Accounts(r))
    boss = Principal("user", "hoa", "manager", grants=((OFFICE, "manager"),))
    await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])
    token, _ = await auth.login("lan", PASSWORD)
    await auth.set_role(boss, "lan", "manager", OFFICE)
    assert await auth.authenticate(token) is None
    token, who = await auth.login("lan", PASSWORD)
    assert who.role == "manager"
    await auth.set_password(boss, "lan", "mat-khau-moi-1", OFFICE)
    assert await auth.authenticate(token) is None
    try:
        await auth.login("lan", PASSWORD)
        raise AssertionError("the old password still works")
    except Unauthorized:
        pass
    assert (await auth.login("lan", "mat-khau-moi-1"))[1].role == "manager"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Nguyễn Thị Lan", "Nguyễn Thị Lan"),
        ("  Trần   Văn  Đức ", "Trần Văn Đức"),
        # Decomposed (as some keyboards type it): stored composed, as slips print it.
        (unicodedata.normalize("NFD", "Lê Thị Hồng Nhung"), "Lê Thị Hồng Nhung"),
        ("H'Hen Niê", "H'Hen Niê"),
        ("Ng. Văn A-Sáng", "Ng. Văn A-Sáng"),
        ("", ""),
    ],
)
def test_full_names_keep_their_diacritics(typed: str, kept: str) -> None:
    assert clean_full_name(typed) == kept


@pytest.mark.parametrize(
    ("full_name", "login"),
    [
        ("Nguyễn Thị Lan", "nguyen.thi.lan"),
        ("Đặng Văn Đức", "dang.van.duc"),
        ("  Trần   Hồng-Nhung ", "tran.hong-nhung"),
        ("H'Hen Niê", "hhen.nie"),
        ("<>", ""),
    ],
)
def test_a_login_suggested_for_a_full_name(full_name: str, login: str) -> None:
    assert suggest_login(full_name) == login


@pytest.mark.parametrize("typed", ["<b>Lan</b>", "Lan 2", "Lan@xa", "Đ" * 81])
def test_full_names_refuse_what_is_not_a_name(typed: str) -> None:
    with pytest.raises(BadRequest) as err:
        clean_full_name(typed)
    assert error_text(err.value, "vi").startswith("Họ và tên gồm tối đa 80 chữ cái (có dấu)")


def test_cli_adds_a_user_with_a_full_name(redis_server: EmbeddedRedis) -> None:
    """The command line as an operator types it; the password comes from standard input.
    An update without --name keeps the full name."""

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "queue_server", "--config", str(ROOT / "config.toml"),
             "user", "add", *args],
            input=PASSWORD + "\n", capture_output=True, text=True, timeout=60, cwd=ROOT,
            env={**os.environ, "REDIS_URL": redis_server.url()},
        )  # fmt: skip

    done = cli("lan", "--role", "staff", "--name", "Nguyễn  Thị Lan")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"user lan (staff of {OFFICE}, Nguyễn Thị Lan) saved"
    assert cli("lan", "--role", "manager").returncode == 0
    bad = cli("minh", "--role", "staff", "--name", "Minh <3")
    assert bad.returncode == 2 and "full name" in bad.stderr

    async def check() -> None:
        client = connect(redis_server.url())
        try:
            accounts = Accounts(client)
            lan = next(u for u in await accounts.users() if u["name"] == "lan")
            assert lan == {"name": "lan", "role": "manager", "full_name": "Nguyễn Thị Lan",
                       "offices": {OFFICE: "manager"}}  # fmt: skip
            assert await accounts.user("minh") is None
            await client.flushall()
        finally:
            await client.aclose()

    asyncio.run(check())


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
        {"action": "added", "user": "minh", "role": "staff", "full_name": "", "by": "hoa"},
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


async def test_staff_full_names_with_diacritics_in_the_console(
    manager: Session, server: str, r: Any
) -> None:
    """The login stays ASCII (a Vietnamese name typed there is told where it goes); the full
    name takes any Vietnamese letter, is shown and edited in the list, and editing it leaves
    the user logged in."""
    form = {"name": "Nguyễn Thị Lan", "role": "staff", "password": PASSWORD}
    res = await manager.post(f"{BASE}/staff/add", form)
    assert res.status_code == 400
    assert "Họ tên có dấu ghi vào ô “Họ và tên”" in (error_for(res.text, "name") or "")
    # What was typed is moved to the full name, with a login made from it, for one click.
    assert 'name="full_name" value="Nguyễn Thị Lan"' in res.text
    assert 'name="name" value="nguyen.thi.lan"' in res.text
    res = await manager.post(f"{BASE}/staff/add", {**form, "name": "lan", "full_name": "Lan <3"})
    assert res.status_code == 400 and (error_for(res.text, "full_name") or "").startswith(
        "Họ và tên gồm tối đa 80 chữ cái (có dấu)"
    )
    assert not await r.exists(keys.user("lan"))
    res = await manager.post(f"{BASE}/staff/add", {**form, "name": "lan",
                                                   "full_name": "Nguyễn Thị Lan"})  # fmt: skip
    assert res.status_code == 303
    assert (await last_event(r))[1]["full_name"] == "Nguyễn Thị Lan"
    row = re.search(r'data-user="lan">(.*?)</tr>', (await manager.get(f"{BASE}/staff")).text, re.S)
    assert row is not None and 'name="full_name" value="Nguyễn Thị Lan"' in row[1]

    async with httpx.AsyncClient(base_url=server) as other:
        token = (
            await other.post("/api/v1/auth/token", json={"username": "lan", "password": PASSWORD})
        ).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        res = await manager.post(f"{BASE}/staff/lan/full-name", {"full_name": "Trần Thị Lan"})
        assert res.status_code == 303
        assert await last_event(r) == ("staff.changed", {
            "action": "full_name", "user": "lan", "full_name": "Trần Thị Lan", "by": "hoa",
        })  # fmt: skip
        assert (await other.post(f"{API}/counters/1/open", headers=bearer)).status_code == 200
    res = await manager.post(f"{BASE}/staff/lan/full-name", {"full_name": "Trần <Lan>"})
    assert res.status_code == 400 and "Họ và tên gồm tối đa" in res.text
    assert await r.hget(keys.user("lan"), "full_name") == "Trần Thị Lan"
    res = await manager.post(f"{BASE}/staff/ai-do/full-name", {"full_name": "Ai Đó"})
    assert res.status_code == 400 and error_for(res.text, "") == "Không có tài khoản 'ai-do'."


async def test_the_counter_header_names_the_clerk_in_full(
    staff_session: Session, auth: AuthService
) -> None:
    page = await staff_session.get(f"/counter/{OFFICE}/1")
    assert '<b id="user-name" title="lan">lan</b>' in page.text  # no full name: the login
    await auth.accounts.set_full_name("lan", "Nguyễn Thị Lan")
    page = await staff_session.get(f"/counter/{OFFICE}/1")
    assert '<b id="user-name" title="lan">Nguyễn Thị Lan</b>' in page.text
    chooser = await staff_session.get(f"/counter/{OFFICE}")
    assert "<b>Nguyễn Thị Lan</b>" in chooser.text


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


async def test_people_made_before_offices_keep_working_and_the_log_says_so_once(
    r: Any, config: Config, auth: AuthService, caplog: pytest.LogCaptureFixture
) -> None:
    """An install upgraded from before users had offices: its users get their role in every
    office of the config, its office-less devices are bound to the only office; the log
    says so at the start that did it, and not again."""
    await auth.add_user("lan", "staff", PASSWORD, offices=[OFFICE])
    await auth.add_user("root", "admin", PASSWORD)
    old_token, _ = await auth.login("lan", PASSWORD)
    # As an older version left them: no offices, and a device for every office.
    await r.hdel(keys.user("lan"), "offices")
    await r.hdel(keys.token(digest(old_token)), "offices")
    await auth.accounts.put_device("tv-1", "display", None)
    caplog.set_level(logging.WARNING, logger="sothutu")
    for start in (1, 2):
        thread = start_server(config)
        thread.start()
        thread.stop()
        said = [
            rec.getMessage()
            for rec in caplog.records
            if "before users had offices" in rec.getMessage()
        ]
        assert len(said) == 1, start
    assert "lan" in said[0] and OFFICE in said[0] and "root" not in said[0]
    who = await auth.authenticate(old_token)  # a token from before still works
    assert who is not None and who.role_in(OFFICE) == "staff"
    devices = await auth.accounts.devices()
    assert [(d["name"], d["office"]) for d in devices] == [("tv-1", OFFICE)]


def test_cli_gives_a_user_offices_and_refuses_an_unknown_one(redis_server: EmbeddedRedis) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "queue_server", "--config", str(ROOT / "config.toml"),
             "user", *args],
            input=PASSWORD + "\n", capture_output=True, text=True, timeout=60, cwd=ROOT,
            env={**os.environ, "REDIS_URL": redis_server.url()},
        )  # fmt: skip

    done = cli("add", "hoa", "--role", "manager", "--office", "khong-co")
    assert done.returncode == 2 and "no open office 'khong-co'" in done.stderr
    done = cli("add", "hoa", "--role", "manager", "--office", OFFICE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"user hoa (manager of {OFFICE}) saved"
    done = cli("add", "root", "--role", "admin")
    assert done.stdout.strip() == "user root (admin of every office) saved"
    done = cli("grant", "nobody", "--role", "staff")
    assert done.returncode == 2 and "nobody" in done.stderr
