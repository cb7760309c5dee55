"""Users, devices and their access tokens in Redis (deployment-wide keys).

Tokens are random; Redis keeps only their SHA-256, so a copy of the data cannot be used to
log in. User tokens expire; device tokens last until the device is removed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as aredis

from queue_server.store import keys

Role = Literal["admin", "manager", "staff"]
DeviceKind = Literal["kiosk", "display", "printer"]
ROLES: tuple[Role, ...] = ("admin", "manager", "staff")
DEVICE_KINDS: tuple[DeviceKind, ...] = ("kiosk", "display", "printer")
USER_TOKEN_TTL_S = 12 * 3600


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: a user (with a role) or a device (with a kind)."""

    kind: Literal["user", "device"]
    name: str
    role: str  # a Role for users, a DeviceKind for devices
    office: str | None = None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, client: aredis.Redis) -> None:
        # Typed loosely: the client decodes responses to str, which its stubs cannot say.
        self.r: Any = client

    async def put_user(self, name: str, role: Role, password_hash: str) -> None:
        async with self.r.pipeline(transaction=True) as p:
            p.hset(keys.user(name), mapping={"name": name, "role": role, "hash": password_hash})
            p.sadd(keys.users(), name)
            await p.execute()

    async def user(self, name: str) -> dict[str, str] | None:
        h = await self.r.hgetall(keys.user(name))
        return dict(h) if h else None

    async def user_names(self) -> list[str]:
        return sorted(await self.r.smembers(keys.users()))

    async def users(self) -> list[dict[str, str]]:
        """Every user's name and role (not the password hash), by name."""
        names = await self.user_names()
        async with self.r.pipeline(transaction=False) as p:
            for name in names:
                p.hmget(keys.user(name), "name", "role")
            rows = await p.execute()
        return [{"name": n, "role": r} for n, r in rows if n]

    async def set_user(self, name: str, **fields: str) -> bool:
        """Changes a user's role or password hash and logs the user out everywhere, so the
        change applies at once. False if there is no such user."""
        if not await self.r.exists(keys.user(name)):
            return False
        await self.r.hset(keys.user(name), mapping=fields)
        await self.revoke_user(name)
        return True

    async def delete_user(self, name: str) -> bool:
        await self.revoke_user(name)
        async with self.r.pipeline(transaction=True) as p:
            p.delete(keys.user(name))
            p.srem(keys.users(), name)
            deleted, _ = await p.execute()
        return bool(deleted)

    async def revoke_user(self, name: str) -> None:
        digests = await self.r.smembers(keys.user_tokens(name))
        async with self.r.pipeline(transaction=True) as p:
            for d in digests:
                p.delete(keys.token(d))
            p.delete(keys.user_tokens(name))
            await p.execute()

    async def issue_token(self, principal: Principal, ttl_s: int | None) -> str:
        token = secrets.token_urlsafe(32)
        mapping = {"kind": principal.kind, "name": principal.name, "role": principal.role,
                   "office": principal.office or ""}  # fmt: skip
        async with self.r.pipeline(transaction=True) as p:
            p.hset(keys.token(digest(token)), mapping=mapping)
            if ttl_s is not None:
                p.expire(keys.token(digest(token)), ttl_s)
            if principal.kind == "user":
                # The index lives as long as the newest token; expired members are harmless.
                p.sadd(keys.user_tokens(principal.name), digest(token))
                if ttl_s is not None:
                    p.expire(keys.user_tokens(principal.name), ttl_s)
            await p.execute()
        return token

    async def principal(self, token: str) -> Principal | None:
        h = await self.r.hgetall(keys.token(digest(token)))
        if not h:
            return None
        kind: Literal["user", "device"] = "device" if h.get("kind") == "device" else "user"
        return Principal(kind, h["name"], h["role"], h.get("office") or None)

    async def revoke(self, token_digest: str) -> None:
        await self.r.delete(keys.token(token_digest))

    async def put_device(self, name: str, kind: DeviceKind, office: str | None) -> str:
        """Registers a device (replacing an earlier token of the same name) and returns its
        new token, shown once."""
        old = await self.r.hget(keys.device(name), "token")
        token = await self.issue_token(Principal("device", name, kind, office), None)
        async with self.r.pipeline(transaction=True) as p:
            if old:
                p.delete(keys.token(old))
            p.hset(
                keys.device(name),
                mapping={
                    "name": name,
                    "kind": kind,
                    "office": office or "",
                    "token": digest(token),
                },
            )
            p.sadd(keys.devices(), name)
            await p.execute()
        return token

    async def touch_device(self, name: str, now_ms: int) -> None:
        # Only a registered device: a token outliving its device must not recreate it.
        await self.r.eval(
            "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], "
            "'last_seen', ARGV[1]) end", 1, keys.device(name), now_ms,
        )  # fmt: skip

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
        async with self.r.pipeline(transaction=True) as p:
            if old:
                p.delete(keys.token(old))
            p.delete(keys.device(name))
            p.srem(keys.devices(), name)
            *_, deleted, _ = await p.execute()
        return bool(deleted)
