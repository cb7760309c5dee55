"""Users, devices and who may do what."""

from __future__ import annotations

import asyncio
import json
import re
import time
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from queue_server.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from queue_server.people import (
    ADMIN,
    DEVICE_KINDS,
    OFFICE_ROLES,
    ROLES,
    DeviceKind,
    Principal,
    Role,
)
from queue_server.store.accounts import USER_TOKEN_TTL_S, Accounts, grants_of

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 8
MAX_FULL_NAME = 80
LAST_SEEN_EVERY_MS = 60_000
# admin may do all a manager may, a manager all that staff may.
RANK = {"staff": 1, "manager": 2, "admin": 3}
_hasher = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown name like a known one.
_DUMMY_HASH = _hasher.hash("not a real password")


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Hashes new passwords with `hasher` from now on (and times unknown-name logins by
    it). A deployment keeps argon2-cffi's defaults; the test suite, which adds and logs in
    hundreds of users, uses argon2's cheapest parameters. Hashes already stored still
    verify: each carries its own parameters."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("not a real password")


def _check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise BadRequest(
            f"name {name!r} must be 1-64 letters, digits, '.', '_' or '-'",
            text_key="error.auth.name",
        )


def clean_full_name(text: str) -> str:
    """A person's name as printed on slips: NFC (one code point per Vietnamese letter, as
    the slip font and search expect), single spaces; letters of any script with their
    marks, spaces, '.', '-' and apostrophes. "" means none: the login name is shown."""
    name = " ".join(unicodedata.normalize("NFC", text).split())
    if len(name) > MAX_FULL_NAME or not all(
        unicodedata.category(ch)[0] in "LM" or ch in " .-'" for ch in name
    ):
        raise BadRequest(text_key="error.auth.full_name", params={"max_len": MAX_FULL_NAME})
    return name


def suggest_login(full_name: str) -> str:
    """A login for a full name, e.g. "Nguyễn Thị Lan" → "nguyen.thi.lan": the letters
    without their marks (đ → d), dots between the words; "" if nothing usable is left."""
    plain = unicodedata.normalize("NFD", full_name.replace("đ", "d").replace("Đ", "D"))
    words = "".join(ch for ch in plain if unicodedata.category(ch) != "Mn").lower().split()
    login = ".".join(re.sub(r"[^a-z0-9_-]", "", w) for w in words)
    login = re.sub(r"\.{2,}", ".", login).strip(".-_")[:64]
    return login if NAME_RE.match(login) else ""


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadRequest(text_key="error.auth.password_short", params={"min_len": MIN_PASSWORD})


def _check_role(actor: Principal, role: str, office: str) -> None:
    """`actor` may give `role` in `office`: never a role above their own there; only a
    province admin makes another."""
    if role not in ROLES:
        raise BadRequest(text_key="error.auth.role", params={"roles": ", ".join(ROLES)})
    if RANK[role] > RANK.get(actor.role_in(office) or "", 0):
        raise Forbidden(
            f"a {actor.role} cannot give the {role} role",
            text_key="error.auth.role_above_own",
        )


def _grants(role: str, offices: Collection[str]) -> dict[str, str]:
    """The offices of a new user: none for a province admin, at least one for the others."""
    if role == ADMIN:
        return {}
    if not offices:
        raise BadRequest(f"a {role} needs at least one office", text_key="error.auth.office_needed")
    return {slug: role for slug in offices}


def _top_role(grants: Mapping[str, str]) -> Role:
    """A user's highest role over their offices, what lists show first."""
    best: Role = "staff"
    for held in grants.values():
        if held == "manager":
            best = "manager"
    return best


class AuthService:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self._last_seen: dict[str, int] = {}

    async def create_user(
        self,
        actor: Principal,
        name: str,
        role: str,
        password: str,
        full_name: str = "",
        *,
        office: str,
        also: Collection[str] = (),
    ) -> None:
        """A user of `office` (and of the offices `also`) added in its console, never with
        a role above the actor's in any of them; a province admin only by an admin."""
        offices = [office, *(o for o in also if o != office)]
        for slug in offices:
            _check_role(actor, role, slug)
        _check_name(name)
        if await self.accounts.user(name) is not None:
            raise Conflict(text_key="error.auth.user_exists", params={"name": name})
        await self.add_user(name, role, password, full_name, offices=offices)

    async def add_user(
        self,
        name: str,
        role: str,
        password: str,
        full_name: str | None = None,
        *,
        offices: Collection[str] = (),
    ) -> None:
        """Adds or updates a user with `role` in each of `offices` (a province admin:
        none); `full_name` None keeps the one an existing user has."""
        _check_name(name)
        if role not in ROLES:
            raise BadRequest(text_key="error.auth.role", params={"roles": ", ".join(ROLES)})
        grants = _grants(role, offices)
        _check_password(password)
        cleaned = None if full_name is None else clean_full_name(full_name)
        hashed = await asyncio.to_thread(_hasher.hash, password)
        valid_role: Role = ADMIN if role == ADMIN else _top_role(grants)
        await self.accounts.put_user(name, valid_role, hashed, cleaned, grants)
        await self.accounts.revoke_user(name)  # a changed role applies at once

    async def grant(self, name: str, role: str, offices: Collection[str]) -> dict[str, str]:
        """Gives an existing user `role` in each of `offices` (keeping their others), or
        makes them a province admin; they are logged out so it applies at once. Answers
        their offices now."""
        user = await self.accounts.user(name) if NAME_RE.match(name) else None
        if user is None:
            raise NotFound(text_key="error.auth.no_user", params={"name": name})
        if role not in ROLES:
            raise BadRequest(text_key="error.auth.role", params={"roles": ", ".join(ROLES)})
        grants = grants_of(user.get("offices"))
        if role == ADMIN:
            await self.accounts.set_user(name, role=ADMIN)
            return grants
        grants.update(_grants(role, offices))
        await self._set_grants(name, grants)
        return grants

    async def _set_grants(self, name: str, grants: Mapping[str, str]) -> None:
        await self.accounts.set_user(
            name, role=_top_role(grants), offices=json.dumps(dict(grants), sort_keys=True)
        )

    async def add_device(self, name: str, kind: str, office: str) -> str:
        """Registers a device of one office and answers its token."""
        _check_name(name)
        if kind not in DEVICE_KINDS:
            raise BadRequest(f"kind must be one of {', '.join(DEVICE_KINDS)}")
        if not office:
            raise BadRequest("a device belongs to one office", text_key="error.auth.device_office")
        valid_kind: DeviceKind = kind  # type: ignore[assignment,unused-ignore]
        return await self.accounts.put_device(name, valid_kind, office)

    async def adopt_legacy(self, offices: Collection[str]) -> tuple[list[str], list[str]]:
        """Gives what was made before people had offices the offices of the config: each
        user of an office gets their role in each of `offices`; a device registered for
        every office is bound to the only office, if there is one. Answers the users given
        offices and the devices left serving every office (to be registered again)."""
        users = []
        for user in await self.accounts.legacy_users():
            role = user["role"] if user["role"] in OFFICE_ROLES else "staff"
            grants = {slug: role for slug in offices}
            await self.accounts.set_user_offices(user["name"], json.dumps(grants, sort_keys=True))
            users.append(user["name"])
        unbound = []
        for device in await self.accounts.devices():
            if device.get("office"):
                continue
            if len(offices) == 1:
                await self.accounts.bind_device(device["name"], next(iter(offices)))
            else:
                unbound.append(device["name"])
        return users, unbound

    async def unbound_devices(self) -> list[str]:
        """Devices still serving every office (registered before devices had one)."""
        return [d["name"] for d in await self.accounts.devices() if not d.get("office")]

    async def login(self, name: str, password: str) -> tuple[str, Principal]:
        user = await self.accounts.user(name) if NAME_RE.match(name) else None
        stored = user["hash"] if user else _DUMMY_HASH
        try:
            await asyncio.to_thread(_hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            user = None
        if user is None:
            raise Unauthorized(text_key="error.auth.wrong_login")
        grants = (
            () if user["role"] == ADMIN else tuple(sorted(grants_of(user.get("offices")).items()))
        )
        principal = Principal("user", name, user["role"], None, grants)
        return await self.accounts.issue_token(principal, USER_TOKEN_TTL_S), principal

    async def authenticate(self, token: str | None) -> Principal | None:
        if not token:
            return None
        found = await self.accounts.principal(token)
        if found is not None and found.kind == "device":
            await self.seen(found.name)
        return found

    async def seen(self, name: str) -> None:
        """Records that a device is in use (its "last seen"), at most once a minute."""
        # Every kiosk ticket and board socket authenticates: one write a minute per device
        # and process keeps "last seen" without a write on the hot path.
        now = int(time.time() * 1000)
        if now - self._last_seen.get(name, 0) >= LAST_SEEN_EVERY_MS:
            self._last_seen[name] = now
            await self.accounts.touch_device(name, now)

    # Administration (the manager console).

    async def users(self, office: str | None = None) -> list[dict[str, Any]]:
        """Every user, or those of `office` and the province admins, each with their role
        there ("role"), their offices and whether they also work elsewhere ("elsewhere")."""
        found = await self.accounts.users()
        if office is None:
            return found
        rows = []
        for user in found:
            held = ADMIN if user["role"] == ADMIN else user["offices"].get(office)
            if held is not None:
                elsewhere = sorted(o for o in user["offices"] if o != office)
                rows.append({**user, "role": held, "elsewhere": elsewhere})
        return rows

    async def set_role(self, actor: Principal, name: str, role: str, office: str) -> None:
        """Gives a user another role in `office` (or makes them a province admin); they are
        logged out so it applies at once."""
        user = await self._managed_user(actor, name, office)
        _check_role(actor, role, office)
        if name == actor.name:
            raise BadRequest(text_key="error.auth.own_role")
        grants = grants_of(user.get("offices"))
        if role == ADMIN:
            if user["role"] != ADMIN:
                await self.accounts.set_user(name, role=ADMIN)
        elif user["role"] == ADMIN or grants.get(office) != role:
            grants[office] = role
            await self._set_grants(name, grants)

    async def set_password(self, actor: Principal, name: str, password: str, office: str) -> None:
        await self._managed_user(actor, name, office, whole=True)
        _check_password(password)
        hashed = await asyncio.to_thread(_hasher.hash, password)
        await self.accounts.set_user(name, hash=hashed)

    async def set_full_name(self, actor: Principal, name: str, full_name: str, office: str) -> None:
        await self._managed_user(actor, name, office, whole=True)
        await self.accounts.set_full_name(name, clean_full_name(full_name))

    async def user_exists(self, name: str) -> bool:
        """Whether there is a user (of any role) called `name`."""
        return await self.accounts.user(name) is not None

    async def works_in(self, name: str, office: str) -> bool:
        """Whether `name` is a user with a role in `office` (a province admin has one in
        every office)."""
        user = await self.accounts.user(name) if NAME_RE.match(name) else None
        if user is None:
            return False
        return user["role"] == ADMIN or office in grants_of(user.get("offices"))

    async def display_name(self, name: str) -> str:
        """How a user is named to citizens and colleagues: the full name, else the login."""
        return (await self.accounts.full_names([name])).get(name, name)

    async def display_names(self, names: list[str]) -> dict[str, str]:
        """`display_name` of each of `names`, in one round trip."""
        found = await self.accounts.full_names(names)
        return {n: found.get(n, n) for n in names}

    async def remove_user(self, actor: Principal, name: str, office: str) -> None:
        """Takes a user's role in `office` away; a user left without an office (or a
        province admin) is removed altogether."""
        user = await self._managed_user(actor, name, office)
        if name == actor.name:
            raise BadRequest(text_key="error.auth.remove_self")
        grants = grants_of(user.get("offices"))
        grants.pop(office, None)
        if user["role"] == ADMIN or not grants:
            await self.accounts.delete_user(name)
        else:
            await self._set_grants(name, grants)

    async def _managed_user(
        self, actor: Principal, name: str, office: str, whole: bool = False
    ) -> dict[str, str]:
        """The user `name` of `office`, if `actor` may change them there: their role there
        is not above the actor's. `whole`: a change of the whole account (password, name),
        which needs the actor to rank so in every office the user works in."""
        user = await self.accounts.user(name) if NAME_RE.match(name) else None
        grants = grants_of(user.get("offices")) if user else {}
        if user is None or (user["role"] != ADMIN and office not in grants):
            raise NotFound(text_key="error.auth.no_user", params={"name": name})
        mine = RANK.get(actor.role_in(office) or "", 0)
        if user["role"] == ADMIN:
            if not actor.is_admin:
                raise Forbidden(text_key="error.auth.admin_only")
            return user
        if RANK.get(grants[office], 0) > mine:
            raise Forbidden(text_key="error.auth.admin_only")
        if whole and not actor.is_admin:
            others = [o for o, r in grants.items() if RANK[r] > RANK.get(actor.role_in(o) or "", 0)]
            if others:
                raise Forbidden(
                    text_key="error.auth.other_offices", params={"offices": ", ".join(others)}
                )
        return user

    async def devices(self, office: str) -> list[dict[str, str]]:
        """The devices of an office, and those registered for every office."""
        return [d for d in await self.accounts.devices() if d.get("office") in ("", office)]

    async def remove_device(self, name: str) -> bool:
        self._last_seen.pop(name, None)
        return await self.accounts.delete_device(name)


def require_role(principal: Principal | None, role: str, office: str) -> Principal:
    """The principal, if it is a user with at least `role` in `office` (a province admin
    has every role in every office)."""
    if principal is None:
        raise Unauthorized(text_key="error.auth.log_in")
    if principal.kind != "user":
        raise Forbidden(f"this needs the {role} role", text_key="error.auth.role_needed")
    held = principal.role_in(office)
    if held is None:
        raise Forbidden(
            f"{principal.name} has no role in office {office}",
            text_key="error.auth.other_office", params={"office": office},
        )  # fmt: skip
    if RANK.get(held, 0) < RANK[role]:
        raise Forbidden(f"this needs the {role} role", text_key="error.auth.role_needed")
    return principal


def require_admin(principal: Principal | None) -> Principal:
    """The principal, if it is a province admin (over every office)."""
    if principal is None:
        raise Unauthorized(text_key="error.auth.log_in")
    if not principal.is_admin:
        raise Forbidden("this needs the admin role", text_key="error.auth.admin_needed")
    return principal


def require_device_or_role(
    principal: Principal | None, kinds: tuple[str, ...], role: str, office: str
) -> Principal:
    """A device of one of `kinds` bound to `office` (or one registered before devices were
    bound, which serves every office), or a user with at least `role` in `office`."""
    if principal is not None and principal.kind == "device":
        if principal.role in kinds and principal.office in (None, office):
            return principal
        raise Forbidden(text_key="error.auth.device")
    return require_role(principal, role, office)
