"""Who acts: users with a role in each of their offices (or a province admin over all), and
devices of one office with a kind, as every layer names them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "manager", "staff"]
OfficeRole = Literal["manager", "staff"]
DeviceKind = Literal["kiosk", "display", "printer"]
ROLES: tuple[Role, ...] = ("admin", "manager", "staff")
OFFICE_ROLES: tuple[OfficeRole, ...] = ("manager", "staff")
DEVICE_KINDS: tuple[DeviceKind, ...] = ("kiosk", "display", "printer")
ADMIN: Role = "admin"


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: a user or a device.

    A user's `role` is "admin" for a province admin (every office, every right), else their
    highest role over `grants`, the (office, role) pairs that are what they may do. A
    device's `role` is its kind and `office` the office it is bound to (None only for a
    device registered before devices were bound, which serves any office)."""

    kind: Literal["user", "device"]
    name: str
    role: str
    office: str | None = None
    grants: tuple[tuple[str, str], ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.kind == "user" and self.role == ADMIN

    def role_in(self, office: str) -> str | None:
        """The user's role in `office` ("admin" for a province admin); None for a device or
        a user without a role there."""
        if self.kind != "user":
            return None
        if self.role == ADMIN:
            return ADMIN
        return dict(self.grants).get(office)

    @property
    def offices(self) -> tuple[str, ...]:
        """The offices a user has a role in (not an admin's: every office)."""
        return tuple(slug for slug, _ in self.grants)
