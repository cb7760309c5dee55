"""API error messages are written whole in the reader's language: a Vietnamese answer has
no English words in it, an English answer no Vietnamese ones (what the client sent, quoted,
aside)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import OFFICE

API = f"/api/v1/offices/{OFFICE}"
SLIP = {"office": "UBND phường Ba Đình", "code": "HK-0042", "citizen": "Nguyễn Văn A",
        "procedure": "Đăng ký khai sinh", "when": "2026-11-30T09:30:00+07:00",
        "place": "Quầy 2", "url": "http://127.0.0.1:8000/b/HK-0042"}  # fmt: skip
# Words of the English messages that Vietnamese never writes.
ENGLISH = re.compile(
    r"\b(must|be|is|are|the|of|a|an|text|characters?|whole|number|from|missing|not|valid|"
    r"required|string|list|one|or|and|date|time|choose|enter|digits)\b",
    re.IGNORECASE,
)
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|\?\S+")


def unquoted(message: str) -> str:
    """The message without what it quotes: names of fields and the client's own values."""
    return QUOTED.sub(" ", message)


def vietnamese_letters(text: str) -> list[str]:
    """Letters outside ASCII: in these messages, Vietnamese ones (ă, ơ, ư, đ, tone marks)."""
    return [ch for ch in text if ch.isalpha() and not ch.isascii()]


BOOK = {"field": "HT", "start": "2026-11-26T09:00", "name": "Lê Văn H", "phone": "0912345678"}
JOBS = f"{API}/printers/kiosk-1/jobs"
# (method, path, JSON body or raw bytes, needs staff)
CASES: list[tuple[str, str, Any, bool]] = [
    ("post", f"{API}/tickets", {}, False),  # a required field missing
    ("post", f"{API}/tickets", {"field": 12}, False),  # not a text
    ("post", f"{API}/tickets", {"field": "TOO-LONG-CODE"}, False),  # too long
    ("post", f"{API}/tickets", b"{not json", False),
    ("post", f"{API}/tickets", b"[1, 2]", False),  # not an object
    ("post", f"/api/v1/tickets/{OFFICE}.x/call", {"counter": "x"}, True),  # not a whole number
    ("post", f"{API}/counters/abc/open", {}, True),  # a path number
    ("post", f"/api/v1/tickets/{OFFICE}.x/transfer", {"counter": 0}, True),  # out of range
    ("post", f"{API}/appointments", {**BOOK, "start": "morning"}, False),
    ("post", f"{API}/appointments", {**BOOK, "name": "H", "phone": "abc"}, False),
    ("get", f"{API}/appointments/slots", None, False),  # no field
    ("get", f"{API}/appointments/slots?field=HT&day=26-11", None, False),
    ("post", JOBS, {"kind": "appointment", "data": {**SLIP, "when": "x"}}, True),
    ("post", JOBS, {"kind": "appointment", "data": {**SLIP, "notes": "x"}}, True),
    ("post", JOBS, {"kind": "ticket", "data": {}}, True),
    ("post", "/api/v1/auth/token", {"username": "lan"}, False),
]


async def ask(
    http: httpx.AsyncClient, staff: dict[str, str], case: tuple[str, str, Any, bool], lang: str
) -> dict[str, str]:
    method, path, body, needs_staff = case
    headers = dict(staff) if needs_staff else {}
    path += ("&" if "?" in path else "?") + f"lang={lang}"
    if method == "get":
        res = await http.get(path, headers=headers)
    elif isinstance(body, bytes):
        headers["content-type"] = "application/json"
        res = await http.post(path, content=body, headers=headers)
    else:
        res = await http.post(path, json=body, headers=headers)
    assert res.status_code == 400, (path, res.text)
    error: dict[str, str] = res.json()["error"]
    return error


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} {c[1]} {c[2]!r}"[:60] for c in CASES])
async def test_validation_messages_are_in_one_language(
    http: httpx.AsyncClient, staff: dict[str, str], case: tuple[str, str, Any, bool]
) -> None:
    vi = (await ask(http, staff, case, "vi"))["message"]
    en = (await ask(http, staff, case, "en"))["message"]
    assert vi != en, "the same message in both languages"
    assert not ENGLISH.findall(unquoted(vi)), vi
    assert not vietnamese_letters(unquoted(en)), en


@pytest.mark.parametrize(
    ("message", "english", "vietnamese"),
    [
        ("Trường 'field' phải là a text of 1-8 characters.", ["a", "text", "of", "characters"],
         "ườảà"),
        ("Trường 'field' phải là chuỗi ký tự dài 1-8 ký tự.", [], "ườảàỗýựàýự"),
        ("'field' must be a text of 1-8 characters", ["must", "be", "a", "text", "of",
                                                       "characters"], ""),
        ("Không có máy in 'máy-in' tại đơn vị này.", [], "ôóáạđơịà"),
    ],
)  # fmt: skip
def test_the_language_checks_themselves(message: str, english: list[str], vietnamese: str) -> None:
    """The two detectors find what they are there to find (else the table above proves
    nothing), and leave quoted names alone."""
    assert [w.lower() for w in ENGLISH.findall(unquoted(message))] == english
    assert "".join(vietnamese_letters(unquoted(message))) == vietnamese


async def test_slots_without_a_field_are_a_400_naming_it(http: httpx.AsyncClient) -> None:
    res = await http.get(f"{API}/appointments/slots")
    assert res.status_code == 400
    assert res.json()["error"] == {
        "code": "missing_parameter",
        "message": "Thiếu tham số 'field' trong địa chỉ, ví dụ ?field=HT.",
    }
    res = await http.get(f"{API}/appointments/slots", params={"field": "", "lang": "en"})
    assert res.json()["error"]["message"] == (
        "the query parameter 'field' is missing, e.g. ?field=HT"
    )
    unknown = await http.get(f"{API}/appointments/slots", params={"field": "ZZ"})
    assert unknown.status_code == 404  # a field that does not exist is still not found


async def conflict(http: httpx.AsyncClient, path: str, headers: dict[str, str],
                   body: dict[str, Any] | None = None) -> tuple[str, str]:  # fmt: skip
    """The 409 `invalid_state` message of one request, in Vietnamese and in English."""
    texts = []
    for lang in ("vi", "en"):
        res = await http.post(f"{path}?lang={lang}", json=body or {}, headers=headers)
        assert res.status_code == 409, res.text
        assert res.json()["error"]["code"] == "invalid_state"
        texts.append(res.json()["error"]["message"])
    return texts[0], texts[1]


async def test_invalid_state_names_the_state_and_what_was_needed(
    http: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    await http.post(f"{API}/counters/1/open", headers=staff)
    first = (await http.post(f"{API}/tickets", json={"field": "HT"})).json()
    t = f"/api/v1/tickets/{first['id']}"
    # Waiting: it cannot be started (the script's answer).
    assert await conflict(http, f"{t}/start", staff) == (
        f"Không thể bắt đầu phục vụ số {first['number']}: số này đang chờ gọi. Chỉ bắt đầu"
        " phục vụ được số “đã được gọi”.",
        f"cannot start serving ticket {first['number']}: it is waiting; start serving needs"
        " a ticket that is called",
    )
    await http.post(f"{API}/counters/1/call-next", headers=staff)
    # Called at counter 1: another counter cannot finish it.
    vi, en = await conflict(http, f"{t}/finish", staff, {"counter": 2})
    number = first["number"]
    assert vi == f"Không thể kết thúc số {number}: số này đang ở quầy 1, không phải quầy của bạn."
    assert en == f"cannot finish ticket {first['number']}: it is at counter 1, not this one"
    await http.post(f"{t}/finish", headers=staff)
    # Done: neither cancelled (the service's check) nor finished again.
    vi, en = await conflict(http, f"{t}/cancel", {})
    assert vi == (f"Không thể hủy số {first['number']}: số này đã phục vụ xong. Chỉ hủy được số"
                  " “đang chờ gọi”.")  # fmt: skip
    assert en.endswith("it is done; cancel needs a ticket that is waiting")
    vi, en = await conflict(http, f"{t}/finish", staff)
    assert (
        "số này đã phục vụ xong. Chỉ kết thúc được số “đã được gọi” hoặc “đang được phục vụ”." in vi
    )
    assert en.endswith("finish needs a ticket that is called or being served")


async def test_a_booking_in_the_wrong_state_says_which(http: httpx.AsyncClient) -> None:
    days = (await http.get(f"{API}/appointments/slots?field=HT")).json()["days"]
    day = (await http.get(f"{API}/appointments/slots?field=HT&day={days[-1]}")).json()
    start = day["slots"][0]["start"]  # the server runs on the real clock: a future slot
    code = await http.post(f"{API}/appointments", json={**BOOK, "start": start})
    assert code.status_code == 201, code.text
    b = f"{API}/appointments/{code.json()['code']}"
    assert (await http.post(f"{b}/cancel", json={})).status_code == 200
    assert await conflict(http, f"{b}/cancel", {}) == (
        "Không thể hủy lịch hẹn này: lịch hẹn đã bị hủy. Chỉ hủy được lịch hẹn đã đặt và chưa đến.",
        "cannot cancel this booking: it is cancelled; cancel needs a booking that is booked"
        " (not yet checked in, cancelled or missed)",
    )
    vi, en = await conflict(http, f"{b}/reschedule", {}, {"start": start})
    assert vi.startswith("Không thể đổi giờ lịch hẹn này: lịch hẹn đã bị hủy.")
    assert en.startswith("cannot move this booking: it is cancelled;")
