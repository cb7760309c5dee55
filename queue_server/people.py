"""Who acts: users with a role and devices with a kind, as every layer names them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "manager", "staff"]
DeviceKind = Literal["kiosk", "display", "printer"]
ROLES: tuple[Role, ...] = ("admin", "manager", "staff")
DEVICE_KINDS: tuple[DeviceKind, ...] = ("kiosk", "display", "printer")


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: a user (with a role) or a device (with a kind)."""

    kind: Literal["user", "device"]
    name: str
    role: str  # a Role for users, a DeviceKind for devices
    office: str | None = None
