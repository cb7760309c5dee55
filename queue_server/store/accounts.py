"""Users, devices and their access tokens in Redis (deployment-wide keys).

Tokens are random; Redis keeps only their SHA-256, so a copy of the data cannot be used to
log in. User tokens expire; device tokens last until the device is removed.

These keys have no hash tag, so on a Redis Cluster they lie in different slots and no
command or MULTI may combine two of them. Instead each change writes its keys one after
the other, in an order where stopping half-way leaves nothing usable that should not be:
an index entry is written before what it indexes and removed after it, a token is removed
before its user or device.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any, Literal

import redis.asyncio as aredis

from queue_server.people import DeviceKind, Principal, Role
from queue_server.store import keys
from queue_server.store.scripts import _source

USER_TOKEN_TTL_S = 12 * 3600


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, client: aredis.Redis) -> None:
        # Typed loosely: the client decodes responses to str, which its stubs cannot say.
        self.r: Any = client
        self._hset_existing = client.register_script(_source("hset_existing"))

    async def put_user(
        self,
        name: str,
        role: Role,
        password_hash: str,
        full_name: str | None = None,
        grants: Mapping[str, str] | None = None,
    ) -> None:
        """Adds or updates a user; an update without `full_name` keeps the one it had.
        `role` is "admin" or the highest of `grants` (office → role), which a user of an
        office must have."""
        # Listed first: a name without its hash is skipped by `users`.
        await self.r.sadd(keys.users(), name)
        mapping = {"name": name, "role": role, "hash": password_hash,
                   "offices": json.dumps(dict(grants or {}), sort_keys=True)}  # fmt: skip
        if full_name is not None:
            mapping["full_name"] = full_name
        await self.r.hset(keys.user(name), mapping=mapping)

    async def user(self, name: str) -> dict[str, str] | None:
        """The user's fields as stored ("offices" is JSON, absent for a user made before
        users had offices)."""
        h = await self.r.hgetall(keys.user(name))
        return dict(h) if h else None

    async def legacy_users(self) -> list[dict[str, str]]:
        """Users of an office made before users had offices (no "offices" field)."""
        names = await self.user_names()
        async with self.r.pipeline(transaction=False) as p:
            for name in names:
                p.hmget(keys.user(name), "name", "role", "offices")
            rows = await p.execute()
        return [{"name": n, "role": r} for n, r, o in rows if n and o is None and r != "admin"]

    async def user_names(self) -> list[str]:
        return sorted(await self.r.smembers(keys.users()))

    async def users(self) -> list[dict[str, Any]]:
        """Every user's name, role, full name ("" if none) and offices (office → role; not
        the password hash), by name."""
        names = await self.user_names()
        async with self.r.pipeline(transaction=False) as p:
            for name in names:
                p.hmget(keys.user(name), "name", "role", "full_name", "offices")
            rows = await p.execute()
        return [
            {"name": n, "role": r, "full_name": f or "", "offices": grants_of(o)}
            for n, r, f, o in rows
            if n
        ]

    async def full_names(self, names: list[str]) -> dict[str, str]:
        """The full name of each of `names` that has one."""
        async with self.r.pipeline(transaction=False) as p:
            for name in names:
                p.hget(keys.user(name), "full_name")
            found = await p.execute()
        return {n: f for n, f in zip(names, found, strict=True) if f}

    async def set_full_name(self, name: str, full_name: str) -> bool:
        """Changes how a user is named on slips and pages. Unlike `set_user` it leaves them
        logged in: a name grants nothing. False if there is no such user."""
        return bool(
            await self._hset_existing(keys=[keys.user(name)], args=["full_name", full_name])
        )

    async def set_user_offices(self, name: str, offices_json: str) -> bool:
        """Gives a user made before users had offices their offices; their tokens stay good
        (they read the offices from here). False if there is no such user."""
        return bool(
            await self._hset_existing(keys=[keys.user(name)], args=["offices", offices_json])
        )

    async def set_user(self, name: str, **fields: str) -> bool:
        """Changes a user's role or password hash and logs the user out everywhere, so the
        change applies at once. False if there is no such user."""
        if not await self.r.exists(keys.user(name)):
            return False
        await self.r.hset(keys.user(name), mapping=fields)
        await self.revoke_user(name)
        return True

    async def delete_user(self, name: str) -> bool:
        deleted = await self.r.delete(keys.user(name))  # no new logins from here on
        await self.revoke_user(name)
        await self.r.srem(keys.users(), name)
        return bool(deleted)

    async def revoke_user(self, name: str) -> None:
        digests = await self.r.smembers(keys.user_tokens(name))
        if digests:
            # Tokens lie in many slots: a pipeline without MULTI, which a cluster client
            # sends to each node at once.
            async with self.r.pipeline(transaction=False) as p:
                for d in digests:
                    p.delete(keys.token(d))
                await p.execute()
            # Only once the tokens are gone: a token must never outlive its index entry.
            # (Not the whole set: a login meanwhile may have added a token.)
            await self.r.srem(keys.user_tokens(name), *digests)

    async def issue_token(self, principal: Principal, ttl_s: int | None) -> str:
        token = secrets.token_urlsafe(32)
        await self._put_token(token, principal, ttl_s)
        return token

    async def _put_token(self, token: str, principal: Principal, ttl_s: int | None) -> None:
        mapping = {"kind": principal.kind, "name": principal.name, "role": principal.role,
                   "office": principal.office or "",
                   "offices": json.dumps(dict(principal.grants), sort_keys=True)}  # fmt: skip
        if principal.kind == "user":
            # Indexed before it exists, so that `revoke_user` always finds it. The index
            # lives as long as the newest token; expired members are harmless.
            async with self.r.pipeline(transaction=True) as p:
                p.sadd(keys.user_tokens(principal.name), digest(token))
                if ttl_s is not None:
                    p.expire(keys.user_tokens(principal.name), ttl_s)
                await p.execute()
        async with self.r.pipeline(transaction=True) as p:
            p.hset(keys.token(digest(token)), mapping=mapping)
            if ttl_s is not None:
                p.expire(keys.token(digest(token)), ttl_s)
            await p.execute()

    async def principal(self, token: str) -> Principal | None:
        h = await self.r.hgetall(keys.token(digest(token)))
        if not h:
            return None
        kind: Literal["user", "device"] = "device" if h.get("kind") == "device" else "user"
        raw = h.get("offices")
        if raw is None and kind == "user":
            # A token issued before users had offices: their offices as stored now.
            raw = await self.r.hget(keys.user(h["name"]), "offices")
        grants = tuple(sorted(grants_of(raw).items()))
        return Principal(kind, h["name"], h["role"], h.get("office") or None, grants)

    async def revoke(self, token_digest: str) -> None:
        await self.r.delete(keys.token(token_digest))

    async def put_device(self, name: str, kind: DeviceKind, office: str | None) -> str:
        """Registers a device (replacing an earlier token of the same name) and returns its
        new token, shown once."""
        token = secrets.token_urlsafe(32)
        old = await self.r.hget(keys.device(name), "token")
        if old:
            await self.r.delete(keys.token(old))
        await self.r.sadd(keys.devices(), name)
        # The device names its token before the token exists, so that no token is ever
        # left that removing the device would not revoke.
        mapping = {"name": name, "kind": kind, "office": office or "", "token": digest(token)}
        await self.r.hset(keys.device(name), mapping=mapping)
        await self._put_token(token, Principal("device", name, kind, office), None)
        return token

    async def touch_device(self, name: str, now_ms: int) -> None:
        # Only a registered device: a token outliving its device must not recreate it.
        await self._hset_existing(keys=[keys.device(name)], args=["last_seen", now_ms])

    async def bind_device(self, name: str, office: str) -> None:
        """Binds a device registered before devices had an office (and its token) to one."""
        old = await self.r.hget(keys.device(name), "token")
        await self._hset_existing(keys=[keys.device(name)], args=["office", office])
        if old:
            await self._hset_existing(keys=[keys.token(old)], args=["office", office])

    async def devices(self) -> list[dict[str, str]]:
        """Every device (name, kind, office, last_seen; not the token digest), by name."""
        names = sorted(await self.r.smembers(keys.devices()))
        async with self.r.pipeline(transaction=False) as p:
            for name in names:
                p.hgetall(keys.device(name))
            rows = await p.execute()
        return [{k: v for k, v in row.items() if k != "token"} for row in rows if row]

    async def delete_device(self, name: str) -> bool:
        """Removes a device and its token: it is locked out at its next request."""
        old = await self.r.hget(keys.device(name), "token")
        if old:
            await self.r.delete(keys.token(old))
        deleted = await self.r.delete(keys.device(name))
        await self.r.srem(keys.devices(), name)
        return bool(deleted)


def grants_of(raw: str | None) -> dict[str, str]:
    """A user's offices (office → role) from their stored JSON; {} for none."""
    if not raw:
        return {}
    found = json.loads(raw)
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
