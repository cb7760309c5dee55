"""The province admin's offices page, `/province/offices`: every office of the deployment with
its state; add one (a copy of another office, or an uploaded TOML or JSON table), rename,
close and reopen. Each change is served by every server process without a restart
(`services/office_list.py`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Literal
from urllib.parse import quote

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    SothutuError,
)
from queue_server.people import Principal
from queue_server.services.auth import AuthService, require_admin
from queue_server.services.offices import parse_table
from queue_server.web.http.errors import language
from queue_server.web.http.templates import check_csrf, page_admin, render
from queue_server.web.i18n import error_text
from queue_server.web.wiring import services

BASE = "/province/offices"
# An uploaded office table (a config.toml of one office is ~15 KB) and the form around it.
FORM_LIMIT = 256 * 1024
NOTICES = ("added", "renamed", "closed", "reopened")


async def _admin(request: Request) -> Principal | Response:
    """The province admin; a redirect to log in, or the console's 403 page for others."""
    try:
        if request.method != "POST":
            return await page_admin(request)
        # A form proves itself with the session's CSRF token in a field (checked once it
        # is read), as the manager console's do: read the session directly.
        auth: AuthService = services(request).auth
        found = await auth.authenticate(request.session.get("token"))
        if found is None:
            return RedirectResponse(f"/login?next={quote(BASE)}", 303)
        return require_admin(found)
    except Forbidden:
        return render(request, "manage_forbidden.html", {}, 403)


def _page(
    request: Request,
    who: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    registry = services(request).offices
    notice = request.query_params.get("notice")
    rows = [(o, registry.entry(o.slug)) for o in registry.known()]
    context: dict[str, Any] = {
        "user": who.name,
        "active": "offices",
        "rows": rows,
        "sources": [(o.slug, o.name) for o in registry.known()],
        "values": values or {},
        "errors": errors or {},
        "notice": f"province.offices.notice.{notice}" if notice in NOTICES else None,
    }
    return render(request, "province_offices.html", context, status)


async def offices_page(request: Request) -> Response:
    who = await _admin(request)
    if isinstance(who, Response):
        return who
    return _page(request, who)


@contextlib.asynccontextmanager
async def _form(request: Request) -> AsyncIterator[FormData]:
    """The posted form, its CSRF token checked; closing it removes an upload's temporary
    file."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > FORM_LIMIT:
        raise PayloadTooLarge(text_key="error.form.too_large", params={"kib": FORM_LIMIT // 1024})
    async with request.form(max_part_size=FORM_LIMIT) as form:
        check_csrf(request, str(form.get("csrf") or ""))
        yield form


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _where(exc: SothutuError, default: str) -> str:
    """The input a refusal concerns: the one its parameter names, else `default`."""
    if exc.text_key in ("error.office.slug", "error.office.exists"):
        return "slug"
    named = exc.params.get("name")
    if isinstance(named, str) and exc.text_key in ("error.value.missing", "error.office.text"):
        return named
    return default


async def add_office(request: Request) -> Response:
    """From a copy (`copy_from`) or an uploaded file (`file`), with slug, name, address."""
    who = await _admin(request)
    if isinstance(who, Response):
        return who
    async with _form(request) as form:
        how = "file" if form.get("how") == "file" else "copy"
        values = {k: v for k in ("slug", "name", "address", "copy_from", "how")
                  if isinstance(v := form.get(k), str)}  # fmt: skip
        slug, name, address = _text(form, "slug"), _text(form, "name"), _text(form, "address")
        registry = services(request).offices
        try:
            if how == "copy":
                source = _text(form, "copy_from") or ""
                table = registry.copy_table(source, slug or "", name, address)
            else:
                table = await _uploaded(form.get("file"))
                for key, given in (("slug", slug), ("name", name), ("address", address)):
                    if given is not None:
                        table[key] = given
            await services(request).live.add(table, who.name)
        except (BadRequest, Conflict, NotFound) as exc:
            if isinstance(exc, NotFound):
                where = "copy_from"
            else:
                where = _where(exc, "file" if how == "file" else "")
            errors = {where: error_text(exc, language(request))}
            status = 409 if isinstance(exc, Conflict) else 400
            return _page(request, who, values=values, errors=errors, status=status)
    return RedirectResponse(f"{BASE}?notice=added", 303)


async def _uploaded(file: object) -> dict[str, Any]:
    if not isinstance(file, UploadFile) or not file.filename:
        raise BadRequest(text_key="error.office.no_file")
    fmt: Literal["toml", "json"] = "json" if file.filename.lower().endswith(".json") else "toml"
    raw = await file.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            text_key="error.office.unreadable", params={"format": fmt.upper(), "reason": str(exc)}
        ) from exc
    return parse_table(text, fmt)


async def rename_office(request: Request) -> Response:
    who = await _admin(request)
    if isinstance(who, Response):
        return who
    slug = request.path_params["office"]
    async with _form(request) as form:
        try:
            await services(request).live.rename(
                slug, _text(form, "name"), _text(form, "address"), who.name
            )
        except BadRequest as exc:
            values = {f"name_{slug}": str(form.get("name") or "")}
            errors = {f"name_{slug}": error_text(exc, language(request))}
            return _page(request, who, values=values, errors=errors, status=400)
    return RedirectResponse(f"{BASE}?notice=renamed", 303)


def _state_change(action: Literal["close", "reopen"]) -> Any:
    async def endpoint(request: Request) -> Response:
        who = await _admin(request)
        if isinstance(who, Response):
            return who
        async with _form(request):
            live = services(request).live
            slug = request.path_params["office"]
            try:
                await (live.close if action == "close" else live.reopen)(slug, who.name)
            except Conflict as exc:  # done already, in another tab or by another admin
                text = error_text(exc, language(request))
                return _page(request, who, errors={"": text}, status=409)
        notice = "closed" if action == "close" else "reopened"
        return RedirectResponse(f"{BASE}?notice={notice}", 303)

    endpoint.__name__ = f"{action}_office"
    return endpoint


def routes() -> list[BaseRoute]:
    return [
        Route(BASE, offices_page),
        Route(f"{BASE}/add", add_office, methods=["POST"]),
        Route(f"{BASE}/{{office}}/rename", rename_office, methods=["POST"]),
        Route(f"{BASE}/{{office}}/close", _state_change("close"), methods=["POST"]),
        Route(f"{BASE}/{{office}}/reopen", _state_change("reopen"), methods=["POST"]),
    ]
