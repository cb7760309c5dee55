"""Users, devices and who may do what."""

from __future__ import annotations

import asyncio
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from queue_server.errors import BadRequest, Forbidden, Unauthorized
from queue_server.store.accounts import (
    DEVICE_KINDS,
    ROLES,
    USER_TOKEN_TTL_S,
    Accounts,
    DeviceKind,
    Principal,
    Role,
)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 8
# admin may do all a manager may, a manager all that staff may.
RANK = {"staff": 1, "manager": 2, "admin": 3}
_hasher = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown name like a known one.
_DUMMY_HASH = _hasher.hash("not a real password")


def _check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise BadRequest(
            f"name {name!r} must be 1-64 letters, digits, '.', '_' or '-'",
            vi="Tên chỉ gồm chữ cái không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang.",
        )


class AuthService:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts

    async def add_user(self, name: str, role: str, password: str) -> None:
        _check_name(name)
        if role not in ROLES:
            raise BadRequest(f"role must be one of {', '.join(ROLES)}", vi="Vai trò không hợp lệ.")
        if len(password) < MIN_PASSWORD:
            raise BadRequest(
                f"the password needs at least {MIN_PASSWORD} characters",
                vi=f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.",
            )
        hashed = await asyncio.to_thread(_hasher.hash, password)
        valid_role: Role = role  # type: ignore[assignment,unused-ignore]
        await self.accounts.put_user(name, valid_role, hashed)

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
            raise Unauthorized("wrong user name or password", vi="Sai tên đăng nhập hoặc mật khẩu.")
        principal = Principal("user", name, user["role"])
        return await self.accounts.issue_token(principal, USER_TOKEN_TTL_S), principal

    async def authenticate(self, token: str | None) -> Principal | None:
        if not token:
            return None
        return await self.accounts.principal(token)


def require_role(principal: Principal | None, role: str) -> Principal:
    """The principal, if it is a user with at least `role`."""
    if principal is None:
        raise Unauthorized("log in first", vi="Vui lòng đăng nhập.")
    if principal.kind != "user" or RANK.get(principal.role, 0) < RANK[role]:
        raise Forbidden(
            f"this needs the {role} role", vi="Tài khoản này không có quyền thực hiện thao tác."
        )
    return principal


def require_device_or_role(
    principal: Principal | None, kinds: tuple[str, ...], role: str, office: str
) -> Principal:
    """A device of one of `kinds` (of this office, or of any office if registered without
    one), or a user with at least `role`."""
    if principal is not None and principal.kind == "device":
        if principal.role in kinds and principal.office in (None, office):
            return principal
        raise Forbidden("this device may not do that", vi="Thiết bị này không có quyền.")
    return require_role(principal, role)
