"""Console pages for people and machines: staff accounts and roles, devices with their
tokens, printers with their state and stuck jobs.

Users and devices live outside the office table, so their changes go to the audit log as
events of their own (`staff.changed`, `device.changed`, with who made them).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from queue_server.errors import BadRequest, SothutuError
from queue_server.office import Office
from queue_server.people import DEVICE_KINDS, ROLES
from queue_server.services.auth import (
    LAST_SEEN_EVERY_MS,
    NAME_RE,
    RANK,
    AuthService,
    clean_full_name,
    suggest_login,
)
from queue_server.services.printing import PrintService
from queue_server.web.http.addresses import public_base
from queue_server.web.i18n import error_text
from queue_server.web.manage.console import Console, page
from queue_server.web.manage.floor import since_label
from queue_server.web.manage.forms import Form
from queue_server.web.wiring import services

# Two missed minutes of "seen" writes (one a minute) and a little slack.
ONLINE_WITHIN_MS = 2 * LAST_SEEN_EVERY_MS + 15_000
PRINTER_STATES = ("ok", "paper_out", "cover_open", "error", "offline", "unknown", "disconnected")


def _auth(c: Console) -> AuthService:
    auth: AuthService = services(c.request).auth
    return auth


def _roles(c: Console) -> list[str]:
    """The roles this manager may give in this office: never one above their own there."""
    return [r for r in ROLES if RANK[r] <= _my_rank(c)]


def _other_offices(c: Console) -> list[Office]:
    """The other offices a person added here may also be given: those the actor manages
    (a province admin: every office)."""
    return [
        o
        for o in services(c.request).offices.all()
        if o.slug != c.office.slug and RANK.get(c.who.role_in(o.slug) or "", 0) >= RANK["manager"]
    ]


def _my_rank(c: Console) -> int:
    return RANK.get(c.who.role_in(c.office.slug) or "", 0)


async def _staff(
    c: Console, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    users = await _auth(c).users(c.office.slug)
    others = [(o.slug, o.name) for o in _other_offices(c)]
    return c.render(
        "manage_staff.html", "staff",
        {"users": users, "roles": _roles(c), "values": values, "errors": errors,
         "rank": RANK, "my_rank": _my_rank(c), "other_offices": others},
        status,
    )  # fmt: skip


async def staff_page(c: Console) -> Response:
    return await _staff(c, {"role": "staff"}, {})


async def staff_add(c: Console) -> Response:
    assert c.form is not None
    form = Form(c.form, c.lang)
    name = form.text("name", max_len=64)
    if name and not NAME_RE.match(name):
        # Most often a full name typed here: say where it goes, and offer it moved there
        # with a login made from it.
        form.fail("name", "manage.err.user_name")
        if not form.raw("full_name"):
            form.values["full_name"] = name
            form.values["name"] = suggest_login(name)
    full_name = _full_name(form)
    role = form.choice("role", _roles(c))
    also = form.many("offices", [o.slug for o in _other_offices(c)])
    password = form.text("password", max_len=200)
    if password and len(password) < 8:
        form.fail("password", "manage.err.password")
    if not form.errors:
        try:
            await _auth(c).create_user(
                c.who, name, role, password, full_name, office=c.office.slug, also=also
            )
        except SothutuError as exc:
            form.errors["name"] = error_text(exc, c.lang)
        else:
            added = {"action": "added", "user": name, "role": role, "full_name": full_name}
            await c.event("staff.changed", {**added, "also": also} if also else added)
            return c.done("/staff")
    return await _staff(c, {**form.values, "password": ""}, form.errors, 400)


def _full_name(form: Form) -> str:
    """The optional "full_name" input, cleaned; a message against it if it cannot be one."""
    try:
        return clean_full_name(form.raw("full_name"))
    except BadRequest as exc:
        form.errors.setdefault("full_name", error_text(exc, form.lang))
        return ""


async def _user_action(c: Console, action: str) -> Response:
    assert c.form is not None
    name = c.request.path_params["name"]
    form = Form(c.form, c.lang)
    auth = _auth(c)
    data: dict[str, Any] = {"action": action, "user": name}
    try:
        if action == "role":
            data["role"] = role = form.choice("role", ROLES)
            if not form.errors:
                await auth.set_role(c.who, name, role, c.office.slug)
        elif action == "full_name":
            data["full_name"] = full_name = _full_name(form)
            if not form.errors:
                await auth.set_full_name(c.who, name, full_name, c.office.slug)
        elif action == "password":
            password = form.text("password", max_len=200)
            if password and len(password) < 8:
                form.fail("password", "manage.err.password")
            if not form.errors:
                await auth.set_password(c.who, name, password, c.office.slug)
        else:
            await auth.remove_user(c.who, name, c.office.slug)
    except SothutuError as exc:
        form.errors[""] = error_text(exc, c.lang)
    if form.errors:
        message = form.errors.get("") or next(iter(form.errors.values()))
        return await _staff(c, {"role": "staff"}, {f"{action}:{name}": message, "": message}, 400)
    await c.event("staff.changed", data)
    return c.done("/staff", "deleted" if action == "delete" else "ok")


async def staff_role(c: Console) -> Response:
    return await _user_action(c, "role")


async def staff_full_name(c: Console) -> Response:
    return await _user_action(c, "full_name")


async def staff_password(c: Console) -> Response:
    return await _user_action(c, "password")


async def staff_delete(c: Console) -> Response:
    return await _user_action(c, "delete")


# Devices and printers.


async def _devices(
    c: Console,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    token: dict[str, str] | None = None,
) -> Response:
    printing: PrintService = services(c.request).printing
    now = printing.clock.now_ms()
    devices = []
    for d in await _auth(c).devices(c.office.slug):
        seen = int(d.get("last_seen") or 0)
        devices.append({**d, "last_seen": seen, "online": now - seen < ONLINE_WITHIN_MS})
    printers = await printing.overview(c.office.slug)
    for p in printers:
        p["since_label"] = since_label(p["availability"]["since"], c.office, now)
    response = c.render(
        "manage_devices.html", "devices",
        {"devices": devices, "kinds": DEVICE_KINDS, "values": values, "errors": errors,
         "printers": printers, "token": token, "now": now,
         "printer_states": PRINTER_STATES},
        status,
    )  # fmt: skip
    if token is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


async def devices_page(c: Console) -> Response:
    return await _devices(c, {"kind": "kiosk"}, {})


async def device_add(c: Console) -> Response:
    """Registers a device; its token is shown in this one answer and never again."""
    assert c.form is not None
    form = Form(c.form, c.lang)
    name = form.text("name", max_len=64)
    if name and not NAME_RE.match(name):
        form.fail("name", "manage.err.user_name")
    kind = form.choice("kind", DEVICE_KINDS)
    if not form.errors:
        known = {d["name"]: d for d in await _auth(c).accounts.devices()}
        if name in known and known[name].get("office") not in ("", c.office.slug):
            form.fail("name", "manage.err.device_taken")
    if form.errors:
        return await _devices(c, form.values, form.errors, 400)
    token = await _auth(c).add_device(name, kind, c.office.slug)
    await c.event("device.changed", {"action": "token", "device": name, "kind": kind})
    return await _devices(c, {"kind": kind}, {}, 200, {"name": name, "token": token})


async def device_delete(c: Console) -> Response:
    name = c.request.path_params["name"]
    devices = {d["name"] for d in await _auth(c).devices(c.office.slug)}
    if name in devices and await _auth(c).remove_device(name):
        await c.event("device.changed", {"action": "removed", "device": name})
        return c.done("/devices", "deleted")
    return await _devices(c, {"kind": "kiosk"}, {"": c.t("manage.devices.unknown")}, 404)


async def job_clear(c: Console) -> Response:
    printing: PrintService = services(c.request).printing
    name, job = c.request.path_params["printer"], c.request.path_params["job"]
    try:
        await printing.clear(c.office.slug, name, job, c.who.name, None)
    except SothutuError as exc:
        return await _devices(c, {"kind": "kiosk"}, {"": error_text(exc, c.lang)}, exc.status)
    return c.done("/devices", "cleared")


async def job_reprint(c: Console) -> Response:
    """Prints a held ticket again and takes the held job out of the way."""
    assert c.form is not None
    printing: PrintService = services(c.request).printing
    name, job = c.request.path_params["printer"], c.request.path_params["job"]
    ticket = str(c.form.get("ticket") or "")
    try:
        if not ticket:
            raise _no_ticket()
        await printing.reprint(
            c.office.slug, name, ticket, c.who.name, f"reprint:{job}", public_base(c.request)
        )
        await printing.clear(c.office.slug, name, job, c.who.name, None)
    except SothutuError as exc:
        return await _devices(c, {"kind": "kiosk"}, {"": error_text(exc, c.lang)}, exc.status)
    return c.done("/devices", "reprinted")


def _no_ticket() -> SothutuError:
    return BadRequest(text_key="manage.printers.no_ticket")


def routes() -> list[BaseRoute]:
    return [
        page("/staff", staff_page),
        page("/staff/add", staff_add, post=True),
        page("/staff/{name}/role", staff_role, post=True),
        page("/staff/{name}/full-name", staff_full_name, post=True),
        page("/staff/{name}/password", staff_password, post=True),
        page("/staff/{name}/delete", staff_delete, post=True),
        page("/devices", devices_page),
        page("/devices/add", device_add, post=True),
        page("/devices/{name}/delete", device_delete, post=True),
        page("/printers/{printer}/jobs/{job}/clear", job_clear, post=True),
        page("/printers/{printer}/jobs/{job}/reprint", job_reprint, post=True),
    ]
