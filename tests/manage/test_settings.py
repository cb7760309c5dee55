"""Settings forms: a change is saved and live; a bad value is shown next to its input and
nothing is saved."""

from __future__ import annotations

import html
import re
from typing import Any

from queue_server.store import keys
from tests.support.console import OFFICE, Session

BASE = f"/manage/{OFFICE}"


def error_for(page: str, name: str) -> str | None:
    m = re.search(rf'data-error-for="{re.escape(name)}">([^<]*)<', page)
    return html.unescape(m[1]) if m else None


async def test_field_edit_is_saved_and_audited(manager: Session, r: Any) -> None:
    page = await manager.get(f"{BASE}/fields/HT")
    assert page.status_code == 200
    assert 'value="Hộ tịch"' in page.text
    res = await manager.post(
        f"{BASE}/fields/HT/save",
        {"prefix": "A", "name_vi": "Hộ tịch – Khai sinh", "name_en": "Civil status",
         "first_number": "1", "last_number": "999", "service_minutes": "12",
         "target_wait_minutes": "20"},
    )  # fmt: skip
    assert res.status_code == 303
    assert res.headers["location"] == f"{BASE}/fields/HT?saved=ok"
    page = await manager.get(res.headers["location"])
    assert "Đã lưu" in page.text and 'value="Hộ tịch – Khai sinh"' in page.text
    kiosk = await manager.get(f"/api/v1/offices/{OFFICE}")
    assert "Hộ tịch – Khai sinh" in kiosk.text
    last = await r.xrevrange(keys.events(OFFICE), count=1)
    assert last[0][1]["type"] == "office.config_changed"
    assert '"by": "hoa"' in last[0][1]["data"]


async def test_bad_values_are_shown_inline_and_nothing_is_saved(manager: Session, r: Any) -> None:
    before = await r.get(keys.office_config(OFFICE))
    events = await r.xlen(keys.events(OFFICE))
    res = await manager.post(
        f"{BASE}/fields/HT/save",
        {"prefix": "ab", "name_vi": "", "name_en": "Civil status", "first_number": "1",
         "last_number": "nhiều", "service_minutes": "12", "target_wait_minutes": "20"},
    )  # fmt: skip
    assert res.status_code == 400
    prefix_text = "Một chữ cái in hoa (A–Z, Ă, Â, Đ, Ê, Ô, Ơ, Ư), ví dụ A."
    assert error_for(res.text, "prefix") == prefix_text
    assert error_for(res.text, "name_vi") == "Vui lòng nhập ô này."
    assert error_for(res.text, "last_number") == "Phải là số nguyên."
    assert 'value="ab"' in res.text  # what the manager typed stays in the form
    assert await r.get(keys.office_config(OFFICE)) == before
    assert await r.xlen(keys.events(OFFICE)) == events


async def test_registry_errors_land_on_the_input(manager: Session, r: Any) -> None:
    # The prefix B belongs to CT: only the config parser's whole-office check sees that.
    res = await manager.post(
        f"{BASE}/fields/HT/save?lang=en",
        {"prefix": "B", "name_vi": "Hộ tịch", "name_en": "Civil status", "first_number": "1",
         "last_number": "999", "service_minutes": "12", "target_wait_minutes": "20"},
    )  # fmt: skip
    assert res.status_code == 400
    assert error_for(res.text, "prefix") == "'B' is used twice."
    assert await r.get(keys.office_config(OFFICE)) is None
    res = await manager.post(
        f"{BASE}/fields/HT/save?lang=vi",
        {"prefix": "A", "name_vi": "Hộ tịch", "name_en": "Civil status", "first_number": "50",
         "last_number": "40", "service_minutes": "12", "target_wait_minutes": "20"},
    )  # fmt: skip
    assert error_for(res.text, "last_number") == "Phải lớn hơn số đầu (50)."
    assert await r.get(keys.office_config(OFFICE)) is None


async def test_procedure_add_edit_delete(manager: Session) -> None:
    res = await manager.post(
        f"{BASE}/fields/CT/procedures/new/save",
        {"code": "2.009999", "name_vi": "Chứng thực bản sao từ bản chính", "legal_days": "0",
         "no_wait": "1", "documents": "Bản chính giấy tờ\n\nBản sao cần chứng thực\n",
         "fee": "2.000 đồng/trang"},
    )  # fmt: skip
    assert res.status_code == 303, res.text
    office = (await manager.get(f"/api/v1/offices/{OFFICE}")).json()
    ct = next(f for f in office["fields"] if f["code"] == "CT")
    added = next(p for p in ct["procedures"] if p["code"] == "2.009999")
    assert added["documents"] == ["Bản chính giấy tờ", "Bản sao cần chứng thực"]
    assert added["no_wait"] is True and added["fee"] == "2.000 đồng/trang"
    page = await manager.get(f"{BASE}/fields/CT/procedures/2.009999")
    assert "Bản chính giấy tờ\nBản sao cần chứng thực</textarea>" in page.text
    assert 'name="no_wait" value="1" checked' in page.text
    res = await manager.post(
        f"{BASE}/fields/CT/procedures/2.009999/save",
        {"code": "2.009999", "name_vi": "Chứng thực bản sao", "legal_days": "400"},
    )
    assert res.status_code == 400
    assert error_for(res.text, "legal_days") == "Phải từ 0 đến 365."
    res = await manager.post(f"{BASE}/fields/CT/procedures/2.009999/delete")
    assert res.status_code == 303
    page = await manager.get(f"{BASE}/fields/CT")
    assert "2.009999" not in page.text


async def test_counter_fields_in_calling_order(manager: Session) -> None:
    res = await manager.post(
        f"{BASE}/counters/3/save", {"name": "Quầy Đất đai", "order_TP": "1", "order_DD": "2"}
    )
    assert res.status_code == 303
    page = await manager.get(f"{BASE}/counters")
    row = re.search(r'data-counter="3">(.*?)</tr>', page.text, re.S)
    assert row is not None
    pills = re.findall(r'class="pill">(\d)\. ([^<]+)<', row[1])
    assert pills == [("1", "Tư pháp"), ("2", "Đất đai")]
    res = await manager.post(f"{BASE}/counters/3/save", {"name": "Quầy 3"})
    assert res.status_code == 400
    assert error_for(res.text, "fields") == "Chọn ít nhất một lĩnh vực (nhập thứ tự gọi)."
    res = await manager.post(f"{BASE}/counters/new/save", {"number": "2", "order_HT": "1"})
    assert error_for(res.text, "number") == "2 đã được dùng, hãy chọn giá trị khác."


async def test_field_in_use_cannot_be_deleted(manager: Session, r: Any) -> None:
    res = await manager.post(f"{BASE}/fields/HT/delete")
    assert res.status_code == 400
    assert "Không xóa được" in (error_for(res.text, "") or "")
    assert await r.get(keys.office_config(OFFICE)) is None


async def test_priority_classes_and_interleave(manager: Session) -> None:
    page = await manager.get(f"{BASE}/priority")
    rows = int(re.search(r'name="rows" value="(\d+)"', page.text)[1])  # type: ignore[index]
    form = {"rows": str(rows), "interleave": "3"}
    for i, m in enumerate(re.finditer(r'name="code_(\d+)" value="([^"]*)"', page.text)):
        form[f"code_{m[1]}"] = m[2]
        for part in ("name_vi", "name_en"):
            v = re.search(rf'name="{part}_{m[1]}" value="([^"]*)"', page.text)
            form[f"{part}_{m[1]}"] = html.unescape(v[1]) if v else ""
        assert i < rows
    form.update({f"code_{rows - 1}": "veteran", f"name_vi_{rows - 1}": "Cựu chiến binh",
                 f"name_en_{rows - 1}": "Veteran", "delete_0": "1"})  # fmt: skip
    res = await manager.post(f"{BASE}/priority/save", form)
    assert res.status_code == 303
    office = (await manager.get(f"/api/v1/offices/{OFFICE}")).json()
    codes = [p["code"] for p in office["priorities"]]
    assert "veteran" in codes and "elderly" not in codes and office["interleave"] == 3
    page = await manager.get(f"{BASE}/priority")
    assert 'value="veteran"' in page.text and 'value="elderly"' not in page.text
    assert 'name="interleave" value="3"' in page.text
    bad = {**form, "interleave": "0", f"code_{rows - 1}": "Cựu"}
    res = await manager.post(f"{BASE}/priority/save", bad)
    assert error_for(res.text, "interleave") == "Phải từ 1 đến 100."
    assert error_for(res.text, f"code_{rows - 1}") is not None


async def test_console_in_english(manager: Session) -> None:
    page = await manager.get(f"{BASE}/fields?lang=en")
    assert "Fields of service" in page.text and "Manager console" in page.text
    res = await manager.post(f"{BASE}/general", {"name": ""})
    assert error_for(res.text, "name") == "This is required."


async def test_manager_can_edit_managers_but_not_admins(manager: Session, auth: Any) -> None:
    await auth.add_user("an", "manager", "mat-khau-123", offices=[OFFICE])
    await auth.add_user("root", "admin", "mat-khau-123")
    page = (await manager.get(f"{BASE}/staff")).text
    assert f'action="{BASE}/staff/an/role"' in page and f'action="{BASE}/staff/an/delete"' in page
    assert f'action="{BASE}/staff/root/' not in page
    res = await manager.post(f"{BASE}/staff/root/delete")
    assert res.status_code == 400 and "Chỉ quản trị hệ thống" in res.text
    assert await auth.accounts.user("root") is not None


async def test_bilingual_printing_is_a_general_setting(manager: Session) -> None:
    general = {"name": "Trung tâm Phục vụ hành chính công phường Ba Đình", "open_kiosk": "1"}
    checkbox = '<input type="checkbox" name="print_bilingual" value="1" checked>'
    assert checkbox not in (await manager.get(f"{BASE}/fields")).text
    res = await manager.post(f"{BASE}/general", {**general, "print_bilingual": "1"})
    assert res.status_code == 303
    assert checkbox in (await manager.get(f"{BASE}/fields")).text
    assert "print_bilingual = true" in (await manager.get(f"{BASE}/config.toml")).text
    assert (await manager.post(f"{BASE}/general", general)).status_code == 303
    assert checkbox not in (await manager.get(f"{BASE}/fields")).text
