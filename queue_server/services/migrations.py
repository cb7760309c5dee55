"""Upgrades of the data in Redis: the data carries a schema version (`store/schema.py`);
at start the server brings older data to this code's version, one migration after the
other, and refuses data newer than itself.

Version 1 is the data of sothutu before versions were stored: no version key, yet people,
devices or an office's keys are there. A fresh install is stamped with `CURRENT` and runs
nothing. Every migration is idempotent: processes starting at once may all run it, and only
one moves the version (`SchemaStore.stamp`); a migration stopped half-way runs again whole
at the next start.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from queue_server.errors import DataTooNew
from queue_server.services.auth import AuthService
from queue_server.store.schema import SchemaStore

log = logging.getLogger("sothutu")


@dataclass(frozen=True, slots=True)
class Deployment:
    """What a migration works on: the people, and the offices of config.toml (`source`)."""

    auth: AuthService
    offices: Sequence[str]
    source: str


@dataclass(frozen=True, slots=True)
class Migration:
    to: int  # from the version before it
    what: str
    run: Callable[[Deployment], Awaitable[None]]


async def people_get_offices(deployment: Deployment) -> None:
    """Users and devices made before people had offices keep working: users get their role
    in every office of the config (said here, once); a device registered for every office is
    bound to the only office (one left unbound is named at every start, `warn_unbound`)."""
    offices = deployment.offices
    users, _ = await deployment.auth.adopt_legacy(offices)
    if users:
        log.warning(
            "%d user(s) made before users had offices now have their role in every office "
            "of %s (%s): %s. Change this in each office's console (Cán bộ) or with "
            "`python -m queue_server user add NAME --role ROLE --office SLUG`.",
            len(users), deployment.source, ", ".join(offices), ", ".join(users),
        )  # fmt: skip


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "users and devices get offices", people_get_offices),
)
CURRENT = MIGRATIONS[-1].to
# The data before versions were stored.
FIRST = 1


async def migrate(schema: SchemaStore, deployment: Deployment) -> list[int]:
    """Brings the data to `CURRENT`, logging each step; answers the versions migrated to
    ([] when there was nothing to do). Raises `DataTooNew` for data of a newer sothutu."""
    done: list[int] = []
    while True:
        stored = await schema.version()
        version = stored
        if version is None:
            if not await schema.has_data(deployment.offices):
                if await schema.stamp(None, CURRENT):
                    log.info("new data: schema version %d", CURRENT)
                    return done
                continue  # another process stamped it first
            version = FIRST
        if version > CURRENT:
            raise DataTooNew(version, CURRENT)
        if version == CURRENT:
            if not done:
                log.info("data schema version %d: nothing to migrate", CURRENT)
            return done
        step = next(m for m in MIGRATIONS if m.to == version + 1)
        log.warning("migrating the data from schema version %d to %d: %s",
                    version, step.to, step.what)  # fmt: skip
        await step.run(deployment)
        await schema.stamp(stored, step.to)  # False: another process did; read it again
        log.warning("data migrated to schema version %d", step.to)
        done.append(step.to)


async def check_for_tools(schema: SchemaStore, offices: Sequence[str]) -> None:
    """For the command line, which writes data of this version and migrates nothing (the
    server does, at start): stamps a fresh install, so that the first start has nothing to
    migrate, and refuses data of a newer sothutu (`DataTooNew`)."""
    stored = await schema.version()
    if stored is None and not await schema.has_data(offices):
        await schema.stamp(None, CURRENT)  # False: another process stamped it first
    elif stored is not None and stored > CURRENT:
        raise DataTooNew(stored, CURRENT)


async def warn_unbound(auth: AuthService) -> None:
    """At every start, until each is registered again for its office."""
    unbound = await auth.unbound_devices()
    if unbound:
        log.warning(
            "device(s) registered before devices had one office still serve every office: "
            "%s. Register each again for its office (console: Thiết bị; or `python -m "
            "queue_server device add NAME --kind KIND --office SLUG`).",
            ", ".join(unbound),
        )
