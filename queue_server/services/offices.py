"""The offices as they are now: config.toml, overridden by managers' saved changes.

A manager's change is validated by the same parser as the file, stored in Redis with an
`office.config_changed` event, and picked up by every server process from the office's
stream of changes, so kiosks, boards and counters see it without a restart. `export_toml`
writes the whole configuration back out; the server starts from that file with the same
behaviour.
"""

from __future__ import annotations

import copy
import time
import tomllib
from collections.abc import Mapping
from typing import Any

import tomli_w

from queue_server.config import Config, parse_office
from queue_server.errors import BadRequest, ConfigError, NotFound
from queue_server.office import Office
from queue_server.store.offices import OfficeSettings


class OfficeRegistry:
    """The offices as they are now. Without `settings` it holds config.toml's offices only
    and cannot load or save a manager's change (a service built for a test of its own)."""

    def __init__(self, config: Config, settings: OfficeSettings | None = None) -> None:
        self.config = config
        self._settings = settings
        self._offices: dict[str, Office] = {o.slug: o for o in config.offices}

    @property
    def settings(self) -> OfficeSettings:
        if self._settings is None:
            raise RuntimeError("this office registry was built without a settings store")
        return self._settings

    def get(self, slug: str) -> Office | None:
        return self._offices.get(slug)

    def all(self) -> tuple[Office, ...]:
        return tuple(self._offices.values())

    async def load(self) -> None:
        """Apply the changes managers saved earlier (at start-up)."""
        for slug in list(self._offices):
            await self.refresh(slug)

    async def refresh(self, slug: str) -> None:
        """Takes the office's saved settings, if a manager saved any (on every
        `office.config_changed`, in every process)."""
        if slug not in self._offices:
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
        await self.settings.save(slug, table, by, int(time.time() * 1000))
        self._offices[slug] = office
        return office

    def export_toml(self) -> str:
        """The whole configuration with every office as it is now."""
        with self.config.path.open("rb") as f:
            data = tomllib.load(f)
        data["offices"] = [copy.deepcopy(dict(o.raw)) for o in self._offices.values()]
        return tomli_w.dumps(data)
