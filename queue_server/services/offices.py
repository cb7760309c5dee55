"""The offices as they are now: config.toml, overridden by managers' saved changes, and
the offices a province admin added, renamed, closed or reopened since.

A manager's change is validated by the same parser as the file, stored in Redis with an
`office.config_changed` event, and picked up by every server process from the office's
stream of changes, so kiosks, boards and counters see it without a restart. `export_toml`
writes the whole configuration back out; the server starts from that file with the same
behaviour.

The deployment's list of offices lives in Redis (`store.offices.OfficeList`): config.toml's
offices seed it (the first process to start adds those missing, and never changes a listed
one); an admin adds an office (a copy of another's table with a new slug, name and address,
or a table imported from TOML or JSON), closes or reopens one, and every process follows
the list's stream of changes (`follow`). A closed office issues nothing and is in no list of
offices a screen shows, but its reports stay (`find`).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import time
import tomllib
from collections.abc import Mapping
from typing import Any, Literal

import tomli_w

from queue_server.config import Config, parse_office
from queue_server.errors import BadRequest, ConfigError, Conflict, Gone, NotFound
from queue_server.office import SLUG_RE, Office
from queue_server.store.offices import OfficeEntry, OfficeList, OfficeSettings

__all__ = ["OfficeEntry", "OfficeRegistry", "from_json", "parse_table"]

# What a copy of an office does not take: who it is, and its printers (a network printer's
# address is one device of the office copied from; the copy adds its own).
NOT_COPIED = ("slug", "name", "address", "printers")
NAME_MAX = 200


def parse_table(text: str, fmt: Literal["toml", "json"]) -> dict[str, Any]:
    """An office's table from an uploaded TOML or JSON document: the table itself, or a
    document with one `[[offices]]` entry (a config.toml of one office, an export)."""
    try:
        data: Any = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(text_key="error.office.unreadable", params={"format": fmt.upper(),
                         "reason": str(exc)}, details={"reason": str(exc)}) from exc  # fmt: skip
    if isinstance(data, dict) and "offices" in data and "slug" not in data:
        data = data["offices"]
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
    if not isinstance(data, dict):
        raise BadRequest(text_key="error.office.not_one")
    return from_json(data) if fmt == "json" else data


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(value: Any) -> Any:
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value  # the reader names the key and says what a date must be
    return value


def from_json(table: Mapping[str, Any]) -> dict[str, Any]:
    """A table sent as JSON, with the calendar's days as dates: JSON has no date type, so
    there they are written "2026-01-02" where TOML writes 2026-01-02."""
    out = copy.deepcopy(dict(table))
    calendar = out.get("calendar")
    if isinstance(calendar, dict):
        for name in ("extra_days_off", "extra_working_days"):
            if isinstance(calendar.get(name), list):
                calendar[name] = [_day(v) for v in calendar[name]]
        for swap in calendar.get("swaps") or ():
            if isinstance(swap, dict):
                for name in ("day_off", "worked_on"):
                    if name in swap:
                        swap[name] = _day(swap[name])
    return out


def _validate(table: Mapping[str, Any]) -> Office:
    try:
        office = parse_office(table, "office")
        # The stored form must survive TOML (export) as well as JSON (Redis).
        tomli_w.dumps(dict(table))
    except ConfigError as exc:
        # The key (``office.fields[1].prefix``) says which value, and so which input of
        # the console's form, is wrong.
        raise BadRequest(
            text_key="error.office.invalid",
            params={"key": exc.key, "reason": exc.reason},
            details={"key": exc.key, "reason": exc.reason},
        ) from exc
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"cannot be saved: {exc}") from exc
    return office


def _text(value: object, name: str, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise BadRequest(text_key="error.value.missing", params={"name": name})
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > NAME_MAX:
        raise BadRequest(text_key="error.office.text", params={"name": name, "max": NAME_MAX})
    return value.strip()


class OfficeRegistry:
    """The offices as they are now. Without `settings` it holds config.toml's offices only
    and cannot load or save a manager's change (a service built for a test of its own)."""

    def __init__(
        self,
        config: Config,
        settings: OfficeSettings | None = None,
        listing: OfficeList | None = None,
    ) -> None:
        self.config = config
        self._settings = settings
        self._list = listing
        # Every office known, open or closed (a closed office's reports stay).
        self._offices: dict[str, Office] = {o.slug: o for o in config.offices}
        # The list's entries; an office without one (no list: a test's registry) is open.
        self._entries: dict[str, OfficeEntry] = {}

    @property
    def settings(self) -> OfficeSettings:
        if self._settings is None:
            raise RuntimeError("this office registry was built without a settings store")
        return self._settings

    @property
    def listing(self) -> OfficeList:
        if self._list is None:
            raise RuntimeError("this office registry was built without the list of offices")
        return self._list

    def get(self, slug: str) -> Office | None:
        """An open office."""
        office = self._offices.get(slug)
        return None if office is None or self.is_closed(slug) else office

    def find(self, slug: str) -> Office | None:
        """An office, open or closed (for its reports)."""
        return self._offices.get(slug)

    def is_closed(self, slug: str) -> bool:
        entry = self._entries.get(slug)
        return entry is not None and entry.closed

    def entry(self, slug: str) -> OfficeEntry | None:
        return self._entries.get(slug)

    def all(self) -> tuple[Office, ...]:
        """The open offices: what kiosks, counters, boards, jobs and printers serve."""
        return tuple(o for slug, o in self._offices.items() if not self.is_closed(slug))

    def known(self) -> tuple[Office, ...]:
        """Every office, closed ones included (reports)."""
        return tuple(self._offices.values())

    def open_between(self, start_ms: int, end_ms: int) -> tuple[Office, ...]:
        """The offices open at some moment of [start_ms, end_ms], closed ones included:
        what a report across offices covers for that range."""
        return tuple(
            o for slug, o in self._offices.items()
            if (entry := self._entries.get(slug)) is None or entry.open_between(start_ms, end_ms)
        )  # fmt: skip

    async def load(self) -> None:
        """At start-up: seeds the list with config.toml's offices it lacks, takes the
        offices the list names that config.toml does not (added by an admin), and applies
        the changes managers saved earlier."""
        if self._list is not None:
            await self._list.seed(o.slug for o in self.config.offices)
            self._entries = await self._list.entries()
        for slug in sorted(set(self._offices) | set(self._entries)):
            await self.refresh(slug)

    async def follow(self, slug: str) -> None:
        """Takes the office's entry in the list and its table as they are now."""
        entry, office = await self.read(slug)
        if entry is not None:
            self.publish(entry, office)

    async def read(self, slug: str) -> tuple[OfficeEntry | None, Office | None]:
        """The office's entry in the list and the office as its table says, not yet served
        (`publish`): a process readies an office it has just heard of before any request
        finds it (`LiveOffices.follow`)."""
        entry = await self.listing.entry(slug)
        if entry is None:
            return None, None
        table = await self.settings.table(slug)
        if table:
            return entry, parse_office(table, f"saved settings of {slug}")
        return entry, self._offices.get(slug)

    def publish(self, entry: OfficeEntry, office: Office | None) -> None:
        self._entries[entry.slug] = entry
        if office is not None:
            self._offices[entry.slug] = office

    async def refresh(self, slug: str) -> None:
        """Takes the office's saved settings, if a manager saved any (on every
        `office.config_changed`, in every process)."""
        if slug not in self._offices and slug not in self._entries:
            return
        table = await self.settings.table(slug)
        if table:
            self._offices[slug] = parse_office(table, f"saved settings of {slug}")

    async def save_table(self, slug: str, table: Mapping[str, Any], by: str) -> Office:
        """Validate and save a new table for an office; nothing is saved if it is invalid."""
        if slug not in self._offices:
            raise NotFound(text_key="error.office.not_found", params={"slug": slug})
        if table.get("slug") != slug:
            raise BadRequest(text_key="error.office.slug_fixed")
        office = _validate(table)
        await self.settings.save(slug, table, by, int(time.time() * 1000))
        self._offices[slug] = office
        return office

    # The province admin's changes of the list.

    def copy_table(
        self, source: str, slug: str, name: str | None, address: str | None
    ) -> dict[str, Any]:
        """Another office's table (fields, procedures, counters, hours and days off,
        priorities, appointments, ratings) with a new slug, name and address; not its
        printers."""
        office = self.find(source)
        if office is None:
            raise NotFound(text_key="error.office.not_found", params={"slug": source})
        table = {k: copy.deepcopy(v) for k, v in office.raw.items() if k not in NOT_COPIED}
        table["slug"] = slug
        table["name"] = _text(name, "name", required=True)
        table["address"] = _text(address, "address", required=False) or ""
        return table

    async def create(self, table: Mapping[str, Any], by: str, publish: bool = True) -> Office:
        """Adds an office from its table, validated as config.toml's are; nothing is saved
        if it is invalid or its slug is taken. Every process serves it once it has read
        the list's `office.added` (this registry at once, unless `publish` is False: a
        server readies the office first, `LiveOffices`)."""
        slug = table.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            raise BadRequest(text_key="error.office.slug", params={"slug": str(slug)})
        office = _validate(table)
        if slug in self._offices or await self.listing.entry(slug) is not None:
            raise Conflict(text_key="error.office.exists", params={"slug": slug})
        now = int(time.time() * 1000)
        # The table first: a process that reads `office.added` finds it.
        if not await self.settings.create(slug, table):
            raise Conflict(text_key="error.office.exists", params={"slug": slug})
        if await self.listing.change("add", slug, now, by) != "ok":
            # Listed meanwhile (a config.toml office seeded by a process starting): the
            # table stored is this request's own, the slug is not.
            await self.settings.forget(slug)
            raise Conflict(text_key="error.office.exists", params={"slug": slug})
        await self.settings.added(slug, by, now)
        if publish:
            await self.follow(slug)
        return office

    async def rename(self, slug: str, name: str | None, address: str | None, by: str) -> Office:
        """A new display name (and address, if given); the slug, and so every key, stays."""
        office = self.find(slug)
        if office is None:
            raise NotFound(text_key="error.office.not_found", params={"slug": slug})
        table = copy.deepcopy(dict(office.raw))
        table["name"] = _text(name, "name", required=True)
        new_address = _text(address, "address", required=False)
        if new_address is not None:
            table["address"] = new_address
        return await self.save_table(slug, table, by)

    async def close(self, slug: str, by: str, publish: bool = True) -> OfficeEntry:
        """The office stops issuing and leaves every screen's list; its history stays."""
        return await self._change("close", slug, by, publish)

    async def reopen(self, slug: str, by: str, publish: bool = True) -> OfficeEntry:
        return await self._change("reopen", slug, by, publish)

    async def _change(
        self, op: Literal["close", "reopen"], slug: str, by: str, publish: bool
    ) -> OfficeEntry:
        if self.find(slug) is None:
            raise NotFound(text_key="error.office.not_found", params={"slug": slug})
        answer = await self.listing.change(op, slug, int(time.time() * 1000), by)
        if answer == "missing":
            raise NotFound(text_key="error.office.not_found", params={"slug": slug})
        if answer != "ok":
            raise Conflict(text_key=f"error.office.already_{answer}", params={"slug": slug})
        entry, office = await self.read(slug)
        assert entry is not None
        if publish:
            self.publish(entry, office)
        return entry

    def gone(self, slug: str) -> Gone:
        """The answer to a request for a closed office."""
        return Gone(text_key="error.office.closed", params={"slug": slug})

    def export_toml(self) -> str:
        """The whole configuration with every office as it is now."""
        with self.config.path.open("rb") as f:
            data = tomllib.load(f)
        data["offices"] = [copy.deepcopy(dict(o.raw)) for o in self.all()]
        return tomli_w.dumps(data)
