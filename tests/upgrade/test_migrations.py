"""The schema version and the migrations at start, on a real Redis (without a server)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from queue_server.errors import DataNotUnderstood, DataTooNew
from queue_server.services.auth import AuthService
from queue_server.services.migrations import CURRENT, Deployment, migrate
from queue_server.store import keys
from queue_server.store.connection import EmbeddedRedis
from queue_server.store.schema import SchemaStore
from tests.conftest import OFFICE
from tests.upgrade.snapshot import load_v1

OFFICES = [OFFICE, "xa-dong-anh"]


def deployment(auth: AuthService) -> Deployment:
    return Deployment(auth, OFFICES, "config.toml")


async def test_a_fresh_install_is_stamped_without_migrating(
    r: Any, auth: AuthService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "sothutu")
    assert await migrate(SchemaStore(r), deployment(auth)) == []
    assert await r.get(keys.schema()) == str(CURRENT)
    assert "new data: schema version 2" in caplog.text
    assert "migrating" not in caplog.text


async def test_data_without_a_version_is_version_1_and_is_migrated_once(
    r: Any, auth: AuthService, redis_server: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "sothutu")
    load_v1(redis_server.url())
    assert await migrate(SchemaStore(r), deployment(auth)) == [2]
    assert await r.get(keys.schema()) == "2"
    offices = {u["name"]: u["offices"] for u in await auth.accounts.users()}
    # Two offices: each user of an office has their role in both; an admin needs none.
    assert offices == {
        "lan": dict.fromkeys(OFFICES, "manager"),
        "minh": dict.fromkeys(OFFICES, "staff"),
        "quantri": {},
    }
    assert "migrating the data from schema version 1 to 2" in caplog.text
    assert "2 user(s) made before users had offices" in caplog.text
    caplog.clear()
    assert await migrate(SchemaStore(r), deployment(auth)) == []
    assert "data schema version 2: nothing to migrate" in caplog.text
    assert "migrating" not in caplog.text


async def test_processes_starting_at_once_migrate_alike(
    r: Any, auth: AuthService, redis_server: EmbeddedRedis
) -> None:
    load_v1(redis_server.url())
    runs = await asyncio.gather(*(migrate(SchemaStore(r), deployment(auth)) for _ in range(3)))
    # Each ran the idempotent migration or found it done; the version moved once, to 2.
    assert all(run in ([], [2]) for run in runs)
    assert await r.get(keys.schema()) == "2"
    user = await r.hgetall(keys.user("lan"))
    assert json.loads(user["offices"]) == dict.fromkeys(OFFICES, "manager")


async def test_a_stamp_moves_only_the_version_it_read(r: Any) -> None:
    schema = SchemaStore(r)
    assert await schema.stamp(None, 2)
    assert not await schema.stamp(None, 2)  # another process stamped first
    assert not await schema.stamp(1, 2)
    assert await schema.version() == 2


async def test_data_of_a_newer_sothutu_is_refused(r: Any, auth: AuthService) -> None:
    await r.set(keys.schema(), CURRENT + 1)
    with pytest.raises(DataTooNew) as refused:
        await migrate(SchemaStore(r), deployment(auth))
    assert "schema version 3, newer than this sothutu's version 2" in str(refused.value)
    assert "Upgrade sothutu" in str(refused.value)
    assert await r.get(keys.schema()) == "3"


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "2.5"])
async def test_a_version_that_is_not_one_is_refused_in_words(r: Any, raw: str) -> None:
    await r.set(keys.schema(), raw)
    with pytest.raises(DataNotUnderstood) as refused:
        await SchemaStore(r).version()
    assert repr(raw) in str(refused.value) and keys.schema() in str(refused.value)
