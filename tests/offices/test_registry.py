"""The deployment's list of offices: seeded from config.toml, offices added from a copy or an
imported table, renamed, closed and reopened, every change seen by a registry built later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from queue_server import config as config_mod
from queue_server.errors import BadRequest, Conflict, Gone, NotFound
from queue_server.services.clock import FixedClock
from queue_server.services.offices import OfficeRegistry, parse_table
from queue_server.services.queue import QueueService
from queue_server.store import keys
from queue_server.store.offices import OfficeList, OfficeSettings
from queue_server.store.queue import QueueStore
from tests.conftest import MORNING, OFFICE, ROOT


async def registry(r: Any, config: config_mod.Config) -> OfficeRegistry:
    found = OfficeRegistry(config, OfficeSettings(r), OfficeList(r))
    await found.load()
    return found


async def test_config_seeds_the_list_once_and_a_closed_office_stays_closed(
    r: Any, config: config_mod.Config
) -> None:
    first = await registry(r, config)
    entry = first.entry(OFFICE)
    assert entry is not None and entry.state == "active" and entry.periods == ((0, 0),)
    await first.close(OFFICE, "admin")
    # The next start reads config.toml again; the office stays closed.
    again = await registry(r, config)
    assert again.get(OFFICE) is None and again.is_closed(OFFICE)
    assert again.find(OFFICE) is not None  # its reports stay
    assert [o.slug for o in again.all()] == [] and [o.slug for o in again.known()] == [OFFICE]


async def test_copy_takes_the_office_but_not_its_printers_and_a_later_start_serves_it(
    r: Any, config: config_mod.Config
) -> None:
    reg = await registry(r, config)
    table = reg.copy_table(OFFICE, "phuong-kim-ma", " Phường Kim Mã ", "Số 2 Kim Mã")
    office = await reg.create(table, "admin")
    source = reg.get(OFFICE)
    assert source is not None
    assert office.name == "Phường Kim Mã" and office.address == "Số 2 Kim Mã"
    assert office.fields == source.fields and office.counters == source.counters
    assert office.priorities == source.priorities and office.calendar == source.calendar
    assert office.appointments == source.appointments
    assert source.printers and not office.printers
    assert reg.get("phuong-kim-ma") == office
    # Its event stream begins with who added it; the list's stream says so to every process.
    first = (await r.xrange(keys.events("phuong-kim-ma")))[0][1]
    assert first["type"] == "office.added" and '"admin"' in first["data"]
    ((_, change),) = await r.xrange(keys.province_changes())
    assert change["type"] == "office.added" and '"phuong-kim-ma"' in change["data"]
    later = await registry(r, config)
    assert [o.slug for o in later.all()] == [OFFICE, "phuong-kim-ma"]
    assert later.get("phuong-kim-ma") == office
    # A ticket is issued at once in the new office.
    queue = QueueService(config, QueueStore(r), FixedClock(MORNING), later)
    await queue.start_day("phuong-kim-ma")
    await r.delete(keys.walk_in_gate("phuong-kim-ma"))
    placed = await queue.issue("phuong-kim-ma", "HT")
    field = office.field("HT")
    assert field is not None
    assert placed.ticket.number == field.format_number(field.first_number)


async def test_an_office_slug_is_taken_once(r: Any, config: config_mod.Config) -> None:
    reg = await registry(r, config)
    with pytest.raises(Conflict):
        await reg.create(reg.copy_table(OFFICE, OFFICE, "Trùng", None), "admin")
    with pytest.raises(BadRequest) as bad:
        await reg.create(reg.copy_table(OFFICE, "Bad Slug", "Sai", None), "admin")
    assert bad.value.text_key == "error.office.slug"
    with pytest.raises(NotFound):
        reg.copy_table("khong-co", "phuong-moi", "Mới", None)
    with pytest.raises(BadRequest):
        reg.copy_table(OFFICE, "phuong-moi", "  ", None)


async def test_an_invalid_import_names_the_key_and_saves_nothing(
    r: Any, config: config_mod.Config
) -> None:
    reg = await registry(r, config)
    text = (ROOT / "config.toml").read_text("utf-8")
    table = parse_table(text, "toml")  # a config.toml of one office is one office's table
    assert table["slug"] == OFFICE
    table["slug"] = "xa-moi"
    table["fields"][0]["prefix"] = "a1"
    with pytest.raises(BadRequest) as bad:
        await reg.create(table, "admin")
    assert bad.value.details is not None
    assert bad.value.details["key"] == "office.fields[0].prefix"
    assert await r.exists(keys.office_config("xa-moi"), keys.events("xa-moi")) == 0
    assert await OfficeList(r).entry("xa-moi") is None
    with pytest.raises(BadRequest) as unreadable:
        parse_table("{not json", "json")
    assert unreadable.value.text_key == "error.office.unreadable"
    with pytest.raises(BadRequest):
        parse_table('{"offices": [{"slug": "a"}, {"slug": "b"}]}', "json")


async def test_rename_keeps_the_slug_close_answers_410_and_reopen_serves_again(
    r: Any, config: config_mod.Config
) -> None:
    reg = await registry(r, config)
    await reg.create(reg.copy_table(OFFICE, "xa-dong-anh", "Xã Đông Anh", None), "admin")
    renamed = await reg.rename("xa-dong-anh", "UBND xã Đông Anh", "Thôn 1", "admin")
    assert (renamed.slug, renamed.name, renamed.address) == (
        "xa-dong-anh",
        "UBND xã Đông Anh",
        "Thôn 1",
    )
    queue = QueueService(config, QueueStore(r), FixedClock(MORNING), reg)
    closed = await reg.close("xa-dong-anh", "admin")
    assert closed.state == "closed" and closed.periods[-1][1] > 0
    with pytest.raises(Gone) as gone:
        await queue.issue("xa-dong-anh", "HT")
    assert gone.value.text_key == "error.office.closed"
    assert queue.office("xa-dong-anh", closed=True).name == "UBND xã Đông Anh"
    with pytest.raises(Conflict):
        await reg.close("xa-dong-anh", "admin")
    reopened = await reg.reopen("xa-dong-anh", "admin")
    assert reopened.state == "active" and len(reopened.periods) == 2
    assert reg.get("xa-dong-anh") is not None
    types = [f["type"] for _, f in await r.xrange(keys.province_changes())]
    assert types == ["office.added", "office.closed", "office.reopened"]
    # Reports across offices take it for the months it was open.
    (opened, ended), _ = reopened.periods
    assert reopened.open_between(opened, opened) and not reopened.open_between(0, opened - 1)
    assert reopened.open_between(ended, ended) and not reopened.open_between(-5, -1)
    assert [o.slug for o in reg.open_between(0, opened - 1)] == [OFFICE]
    assert [o.slug for o in reg.open_between(opened, opened)] == [OFFICE, "xa-dong-anh"]


def test_parse_table_reads_json_and_toml_alike(tmp_path: Path) -> None:
    assert parse_table('slug = "a"\nname = "A"', "toml") == {"slug": "a", "name": "A"}
    assert parse_table('{"slug": "a", "name": "A"}', "json") == {"slug": "a", "name": "A"}
