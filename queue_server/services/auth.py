"""Users, devices and who may do what."""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from queue_server.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from queue_server.people import DEVICE_KINDS, ROLES, DeviceKind, Principal, Role
from queue_server.store.accounts import USER_TOKEN_TTL_S, Accounts

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 8
MAX_FULL_NAME = 80
LAST_SEEN_EVERY_MS = 60_000
# admin may do all a manager may, a manager all that staff may.
RANK = {"staff": 1, "manager": 2, "admin": 3}
_hasher = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown name like a known one.
_DUMMY_HASH = _hasher.hash("not a real password")


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


def _check_role(actor: Principal, role: str) -> None:
    if role not in ROLES:
        raise BadRequest(text_key="error.auth.role", params={"roles": ", ".join(ROLES)})
    if RANK[role] > RANK.get(actor.role, 0):
        raise Forbidden(
            f"a {actor.role} cannot give the {role} role",
            text_key="error.auth.role_above_own",
        )


class AuthService:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self._last_seen: dict[str, int] = {}

    async def create_user(
        self, actor: Principal, name: str, role: str, password: str, full_name: str = ""
    ) -> None:
        """A user added by a manager (who cannot create a role above their own)."""
        _check_role(actor, role)
        _check_name(name)
        if await self.accounts.user(name) is not None:
            raise Conflict(text_key="error.auth.user_exists", params={"name": name})
        await self.add_user(name, role, password, full_name)

    async def add_user(
        self, name: str, role: str, password: str, full_name: str | None = None
    ) -> None:
        """Adds or updates a user; `full_name` None keeps the one an existing user has."""
        _check_name(name)
        if role not in ROLES:
            raise BadRequest(text_key="error.auth.role", params={"roles": ", ".join(ROLES)})
        _check_password(password)
        cleaned = None if full_name is None else clean_full_name(full_name)
        hashed = await asyncio.to_thread(_hasher.hash, password)
        valid_role: Role = role  # type: ignore[assignment,unused-ignore]
        await self.accounts.put_user(name, valid_role, hashed, cleaned)

    async def add_device(self, name: str, kind: str, office: str | None) -> str:
        _check_name(name)
        if kind not in DEVICE_KINDS:
            raise BadRequest(f"kind must be one of {', '.join(DEVICE_KINDS)}")
        valid_kind: DeviceKind = kind  # type: ignore[assignment,unused-ignore]
        return await self.accounts.put_device(name, valid_kind, office)

    async def login(self, name: str, password: str) -> tuple[str, Principal]:
        user = await self.accounts.user(name) if NAME_RE.match(name) else None
        stored = user["hash"] if user else _DUMMY_HASH
        try:
            await asyncio.to_thread(_hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            user = None
        if user is None:
            raise Unauthorized(text_key="error.auth.wrong_login")
        principal = Principal("user", name, user["role"])
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

    async def users(self) -> list[dict[str, str]]:
        return await self.accounts.users()

    async def set_role(self, actor: Principal, name: str, role: str) -> None:
        """Gives a user another role; they are logged out so it applies at once."""
        user = await self._managed_user(actor, name)
        _check_role(actor, role)
        if name == actor.name:
            raise BadRequest(text_key="error.auth.own_role")
        if user["role"] != role:
            await self.accounts.set_user(name, role=role)

    async def set_password(self, actor: Principal, name: str, password: str) -> None:
        await self._managed_user(actor, name)
        _check_password(password)
        hashed = await asyncio.to_thread(_hasher.hash, password)
        await self.accounts.set_user(name, hash=hashed)

    async def set_full_name(self, actor: Principal, name: str, full_name: str) -> None:
        await self._managed_user(actor, name)
        await self.accounts.set_full_name(name, clean_full_name(full_name))

    async def user_exists(self, name: str) -> bool:
        """Whether there is a user (of any role) called `name`."""
        return await self.accounts.user(name) is not None

    async def display_name(self, name: str) -> str:
        """How a user is named to citizens and colleagues: the full name, else the login."""
        return (await self.accounts.full_names([name])).get(name, name)

    async def display_names(self, names: list[str]) -> dict[str, str]:
        """`display_name` of each of `names`, in one round trip."""
        found = await self.accounts.full_names(names)
        return {n: found.get(n, n) for n in names}

    async def remove_user(self, actor: Principal, name: str) -> None:
        await self._managed_user(actor, name)
        if name == actor.name:
            raise BadRequest(text_key="error.auth.remove_self")
        await self.accounts.delete_user(name)

    async def _managed_user(self, actor: Principal, name: str) -> dict[str, str]:
        user = await self.accounts.user(name) if NAME_RE.match(name) else None
        if user is None:
            raise NotFound(text_key="error.auth.no_user", params={"name": name})
        if RANK.get(user["role"], 0) > RANK.get(actor.role, 0):
            raise Forbidden(text_key="error.auth.admin_only")
        return user

    async def devices(self, office: str) -> list[dict[str, str]]:
        """The devices of an office, and those registered for every office."""
        return [d for d in await self.accounts.devices() if d.get("office") in ("", office)]

    async def remove_device(self, name: str) -> bool:
        self._last_seen.pop(name, None)
        return await self.accounts.delete_device(name)


def require_role(principal: Principal | None, role: str) -> Principal:
    """The principal, if it is a user with at least `role`."""
    if principal is None:
        raise Unauthorized(text_key="error.auth.log_in")
    if principal.kind != "user" or RANK.get(principal.role, 0) < RANK[role]:
        raise Forbidden(f"this needs the {role} role", text_key="error.auth.role_needed")
    return principal


def require_admin(principal: Principal | None) -> Principal:
    """The principal, if it is a province admin (over every office)."""
    return require_role(principal, "admin")


def require_device_or_role(
    principal: Principal | None, kinds: tuple[str, ...], role: str, office: str
) -> Principal:
    """A device of one of `kinds` (of this office, or of any office if registered without
    one), or a user with at least `role`."""
    if principal is not None and principal.kind == "device":
        if principal.role in kinds and principal.office in (None, office):
            return principal
        raise Forbidden(text_key="error.auth.device")
    return require_role(principal, role)
