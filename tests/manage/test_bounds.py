"""One set of bounds: the console's forms and the config reader accept and refuse the same
values at every bound of `config.bounds`, and a reader's error lands on the form's input."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from queue_server import config as config_mod
from queue_server.config import parse_office
from queue_server.config.bounds import OFFICE_BOUNDS, Bound, Pattern
from queue_server.errors import BadRequest, ConfigError
from queue_server.services.offices import OfficeRegistry
from queue_server.store import keys
from queue_server.store.offices import OfficeSettings
from queue_server.web.manage.forms import Form, place_error
from tests.manage.conftest import OFFICE, Session
from tests.manage.test_calendar import form_of
from tests.manage.test_settings import error_for

ROOT = Path(__file__).resolve().parents[2]
BASE = f"/manage/{OFFICE}"

# Texts on either side of each pattern: (accepted, refused).
PATTERN_SAMPLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "slug": (("phuong-ba-dinh", "x" * 63), ("Phuong", "-ba", "x" * 64)),
    "field_code": (("HT", "H" * 8, "A1"), ("H" * 9, "ht", "H-T")),
    "prefix": (("A", "Z", "Đ", "Ư"), ("ab", "a", "1", "Ω")),
    "procedure_code": (("1.001193.000.00.00.H12", "x" * 40), ("x" * 41, "a b", "a/b")),
    "priority_code": (("veteran", "cuu_chien_binh"), ("normal", "Veteran", "cựu", "_x")),
    "printer_name": (("kiosk-1",), ("Kiosk 1",)),
    "printer_url": (("tcp://10.0.0.5:9100", "usb://04b8:0202"), ("http://10.0.0.5",)),
}


def _samples(b: Bound) -> list[Any]:
    """Values on both sides of each of the bound's limits, as the config file holds them."""
    if b.kind == "integer":
        assert b.lo is not None and b.hi is not None
        return [b.lo - 1, b.lo, b.hi, b.hi + 1]
    if b.kind == "number":
        assert b.lo is not None and b.hi is not None
        return [b.lo - 0.5, b.lo, b.lo + 0.5, b.hi - 0.5, b.hi, b.hi + 0.5]
    if b.kind == "text" and b.pattern is not None:
        good, bad = PATTERN_SAMPLES[b.pattern.name]
        return [*good, *bad]
    if b.kind == "text" and b.max_len is not None:
        return ["ư" * b.max_len, "ư" * (b.max_len + 1)]
    if b.kind == "texts" and b.max_items is not None and b.max_len is not None:
        return [
            ["d"] * b.max_items,
            ["d"] * (b.max_items + 1),
            ["ư" * b.max_len],
            ["ư" * (b.max_len + 1)],
        ]
    return []


def _form_text(value: Any) -> str:
    return "\n".join(value) if isinstance(value, list) else str(value)


def _walk_in_share(b: Bound) -> bool:
    return b.key == "appointments.walk_in_share"  # a percentage in the form: its own test


# Values no console page edits: the office's slug names it; printers are set in the file.
NO_INPUT = ("slug", "printers[].name", "printers[].url")


def _case_id(b: Bound, v: Any) -> str:
    text = _form_text(v)
    return f"{b.key}={text[:12]!r}" + ("…" if len(text) > 12 else "")


CASES = [
    pytest.param(b, v, id=_case_id(b, v))
    for b in OFFICE_BOUNDS
    if not _walk_in_share(b) and b.key not in NO_INPUT
    for v in _samples(b)
]


def _office_table() -> dict[str, Any]:
    data = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    table: dict[str, Any] = data["offices"][0]
    table["fields"][0]["first_number"] = 0  # last_number's lowest bound is then a valid one
    return table


def _put(table: dict[str, Any], key: str, value: Any) -> str:
    """Sets `key` (the first entry of each list on its way) and returns the key as the
    reader names it."""
    node: Any = table
    parts = key.split(".")
    named = []
    for part in parts[:-1]:
        if part.endswith("[]"):
            node = node[part[:-2]][0]
            named.append(f"{part[:-2]}[0]")
        else:
            node = node.setdefault(part, {})
            named.append(part)
    node[parts[-1]] = value
    return "office." + ".".join([*named, parts[-1]])


def _reader_accepts(key: str, value: Any) -> bool:
    table = _office_table()
    named = _put(table, key, value)
    try:
        parse_office(table, "office")
    except ConfigError as exc:
        # Another value's rule (a counter serving a field whose code changed) is not this
        # value's bound.
        return exc.key != named and not exc.key.startswith(named + "[")
    return True


def _form_accepts(b: Bound, value: Any) -> bool:
    at = (0,) * b.key.count("[]")
    form = Form({b.form_name(*at): _form_text(value)}, "en")
    form.read(b, *at)
    return not form.errors


def test_every_bounded_value_is_tested() -> None:
    untested = [
        b.key
        for b in OFFICE_BOUNDS
        if b.kind in ("integer", "number", "text", "texts")
        and not _samples(b)
        and not _walk_in_share(b)
        and not (b.kind == "text" and b.max_len is None)
        and b.key != "counters[].fields"  # known field codes, checked by the reader alone
    ]
    assert untested == []
    assert set(PATTERN_SAMPLES) == {
        b.pattern.name for b in OFFICE_BOUNDS if isinstance(b.pattern, Pattern)
    }


@pytest.mark.parametrize(("bound", "value"), CASES)
def test_form_and_reader_agree_at_the_bound(bound: Bound, value: Any) -> None:
    assert _form_accepts(bound, value) == _reader_accepts(bound.key, value)


def test_the_bounds_are_where_the_docs_say() -> None:
    """docs/manager.md lists every bounded number with its range."""
    doc = (ROOT / "docs" / "manager.md").read_text("utf-8")
    for b in OFFICE_BOUNDS:
        if b.kind == "integer":
            row = re.search(rf"^\| `{re.escape(b.key)}` \| ([^|]+) \|", doc, re.M)
            assert row is not None, b.key
            assert row[1].strip().replace(",", "") == f"{b.lo}–{b.hi}", b.key


@pytest.mark.parametrize(
    ("percent", "share", "accepted"), [(-1, -0.01, False), (0, 0.0, True), (99, 0.99, True),
                                       (100, 1.0, False)]
)  # fmt: skip
def test_walk_in_percent_matches_the_share(percent: int, share: float, accepted: bool) -> None:
    assert _reader_accepts("appointments.walk_in_share", share) is accepted
    form = Form({"walk_in_percent": str(percent)}, "en")
    form.integer("walk_in_percent", 0, 99)
    assert (not form.errors) is accepted


# The console edits one entry of these lists per page (its prefix names the entry); the
# other lists are edited whole, an input per entry.
ONE_ENTRY_PAGES = ("fields[].procedures[]", "fields[]", "counters[]")


def _page_prefix(key: str) -> str:
    page = next((p for p in ONE_ENTRY_PAGES if key.startswith(p + ".")), "")
    return "office" + ("." + page.replace("[]", "[0]") if page else "")


REFUSED = [
    pytest.param(b, v, id=_case_id(b, v))
    for b in OFFICE_BOUNDS
    if b.key not in NO_INPUT
    for v in _samples(b)
    if not _reader_accepts(b.key, v)
]


@pytest.mark.parametrize(("bound", "value"), REFUSED)
async def test_a_reader_error_lands_on_the_input(
    r: Any, config: config_mod.Config, bound: Bound, value: Any
) -> None:
    registry = OfficeRegistry(config, OfficeSettings(r))
    table = copy.deepcopy(dict(registry.get(OFFICE).raw))  # type: ignore[union-attr]
    table["fields"][0]["first_number"] = 0
    _put(table, bound.key, value)
    with pytest.raises(BadRequest) as info:
        await registry.save_table(OFFICE, table, by="quanly")
    prefix = _page_prefix(bound.key)
    entries_on_page = (0,) * (bound.key.count("[]") - prefix.count("["))
    name, message = place_error(info.value, prefix, "en")
    assert name == bound.form_name(*entries_on_page)
    assert message and not message.startswith("office.")
    assert await r.get(keys.office_config(OFFICE)) is None


async def test_a_value_the_file_takes_is_taken_by_the_form(manager: Session) -> None:
    # A week's notice was the form's own cap while the file took any: now both take 30 days.
    form = form_of((await manager.get(f"{BASE}/appointments")).text)
    res = await manager.post(f"{BASE}/appointments/save", {**form, "min_notice_minutes": "20160"})
    assert res.status_code == 303
    form = form_of((await manager.get(f"{BASE}/appointments")).text)
    assert form["min_notice_minutes"] == "20160"
    res = await manager.post(f"{BASE}/appointments/save", {**form, "min_notice_minutes": "43201"})
    assert res.status_code == 400
    assert error_for(res.text, "min_notice_minutes") == "Phải từ 0 đến 43200."


async def test_a_duplicate_priority_code_lands_on_its_row(manager: Session, r: Any) -> None:
    """Only the reader sees two rows with one code; its key names the row's input."""
    page = (await manager.get(f"{BASE}/priority?lang=en")).text
    rows = int(re.search(r'name="rows" value="(\d+)"', page)[1])  # type: ignore[index]
    form = {"rows": str(rows), "interleave": "2",
            "code_0": "elderly", "name_vi_0": "Người cao tuổi", "name_en_0": "Elderly",
            "code_1": "elderly", "name_vi_1": "Cao tuổi", "name_en_1": "Senior"}  # fmt: skip
    res = await manager.post(f"{BASE}/priority/save?lang=en", form)
    assert res.status_code == 400
    assert error_for(res.text, "code_1") == "'elderly' is used twice."
    assert await r.get(keys.office_config(OFFICE)) is None
