"""Console pages over the office's TOML table: general settings, fields of service and their
procedures, counters, priority classes.

Each handler reads its form whole (`Form`), and only a form without errors is applied to a
copy of the table and saved; the registry's validation errors come back onto the inputs.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from queue_server.config.bounds import BOUNDS
from queue_server.errors import NotFound
from queue_server.office import APPOINTMENT, Field
from queue_server.web.manage.console import Console, page
from queue_server.web.manage.forms import Form

NEW = "__new__"


def _field_index(c: Console, code: str) -> int:
    for i, f in enumerate(c.office.fields):
        if f.code == code:
            return i
    raise NotFound(text_key="error.office.no_field", params={"code": code})


# General settings (shown on the fields page).


def _general_values(c: Console) -> dict[str, Any]:
    raw = c.office.raw
    return {
        "name": raw.get("name", ""),
        "address": raw.get("address", ""),
        "ticket_footer": raw.get("ticket_footer", ""),
        "open_kiosk": bool(raw.get("open_kiosk", False)),
        "print_bilingual": bool(raw.get("print_bilingual", False)),
    }


async def fields_page(c: Console) -> Response:
    return _fields(c, _general_values(c), {})


def _fields(
    c: Console, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    return c.render("manage_fields.html", "fields", {"values": values, "errors": errors}, status)


async def general(c: Console) -> Response:
    assert c.form is not None
    form = Form(c.form, c.lang)
    name = form.read(BOUNDS["name"])
    address = form.read(BOUNDS["address"])
    footer = form.read(BOUNDS["ticket_footer"])
    flags = {k: form.read(BOUNDS[k]) for k in ("open_kiosk", "print_bilingual")}
    if not form.errors:
        table = c.raw()
        table.update(name=name, address=address, ticket_footer=footer, **flags)
        if await c.save(table, "office", form.errors):
            return c.done("/fields")
    return _fields(c, {**form.values, **flags}, form.errors, 400)


# A field of service.


def _field_values(field: Field) -> dict[str, Any]:
    return {
        "code": field.code,
        "prefix": field.prefix,
        "name_vi": field.name_vi,
        "name_en": field.name_en,
        "first_number": field.first_number,
        "last_number": field.last_number,
        "service_minutes": f"{field.service_minutes:g}",
        "target_wait_minutes": field.target_wait_minutes,
    }


def _field_form(
    c: Console, code: str, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    field = None if code == NEW else c.office.fields[_field_index(c, code)]
    return c.render(
        "manage_field.html", "fields",
        {"field": field, "values": values, "errors": errors,
         "counters": [k for k in c.office.counters if field and field.code in k.fields]},
        status,
    )  # fmt: skip


async def field_page(c: Console) -> Response:
    code = c.request.path_params.get("code", NEW)
    if code == NEW:
        values: dict[str, Any] = {"first_number": 1, "last_number": 999,
                                  "service_minutes": 10, "target_wait_minutes": 20}  # fmt: skip
    else:
        values = _field_values(c.office.fields[_field_index(c, code)])
    return _field_form(c, code, values, {})


async def field_save(c: Console) -> Response:
    assert c.form is not None
    code = c.request.path_params.get("code", NEW)
    form = Form(c.form, c.lang)
    table = c.raw()
    fields: list[dict[str, Any]] = table["fields"]
    if code == NEW:
        new_code = form.read(BOUNDS["fields[].code"])
        index = len(fields)
        entry: dict[str, Any] = {"code": new_code}
    else:
        index = _field_index(c, code)
        entry = fields[index]
    updates = {
        name: form.read(BOUNDS[f"fields[].{name}"])
        for name in ("prefix", "name_vi", "name_en", "first_number", "last_number",
                     "service_minutes", "target_wait_minutes")
    }  # fmt: skip
    if not form.errors:
        entry.update(updates)
        if code == NEW:
            fields.append(entry)
        if await c.save(table, f"office.fields[{index}]", form.errors):
            return c.done(f"/fields/{entry['code']}")
    values = {**form.values, "code": form.values.get("code", code)}
    return _field_form(c, code, values, form.errors, 400)


async def field_delete(c: Console) -> Response:
    code = c.request.path_params["code"]
    index = _field_index(c, code)
    table = c.raw()
    del table["fields"][index]
    users = [k for k in c.office.counters if code in k.fields]
    errors: dict[str, str] = {}
    if users:
        names = ", ".join(k.name for k in users)
        errors[""] = c.t("manage.fields.in_use").format(counters=names)
    elif await c.save(table, "office", errors):
        return c.done("/fields", "deleted")
    return _field_form(c, code, _field_values(c.office.fields[index]), errors, 400)


# Procedures of a field.


def _procedure_index(c: Console, field_index: int, pcode: str) -> int:
    for i, p in enumerate(c.office.fields[field_index].procedures):
        if p.code == pcode:
            return i
    raise NotFound(text_key="error.office.no_procedure", params={"code": pcode})


def _procedure_form(
    c: Console, fi: int, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    return c.render(
        "manage_procedure.html", "fields",
        {"field": c.office.fields[fi], "values": values, "errors": errors,
         "is_new": c.request.path_params.get("pcode", NEW) == NEW},
        status,
    )  # fmt: skip


async def procedure_page(c: Console) -> Response:
    fi = _field_index(c, c.request.path_params["code"])
    pcode = c.request.path_params.get("pcode", NEW)
    values: dict[str, Any] = {"legal_days": 0}
    if pcode != NEW:
        p = c.office.fields[fi].procedures[_procedure_index(c, fi, pcode)]
        values = {"code": p.code, "name_vi": p.name_vi, "name_en": p.name_en,
                  "legal_days": p.legal_days, "no_wait": p.no_wait,
                  "documents": "\n".join(p.documents), "fee": p.fee}  # fmt: skip
    return _procedure_form(c, fi, values, {})


async def procedure_save(c: Console) -> Response:
    assert c.form is not None
    code = c.request.path_params["code"]
    fi = _field_index(c, code)
    pcode = c.request.path_params.get("pcode", NEW)
    form = Form(c.form, c.lang)
    table = c.raw()
    procedures: list[dict[str, Any]] = table["fields"][fi].setdefault("procedures", [])
    new_code = form.read(BOUNDS["fields[].procedures[].code"])
    if pcode == NEW:
        pi, entry = len(procedures), {}
    else:
        pi = _procedure_index(c, fi, pcode)
        entry = procedures[pi]
    updates = {"code": new_code} | {
        name: form.read(BOUNDS[f"fields[].procedures[].{name}"])
        for name in ("name_vi", "name_en", "legal_days", "no_wait", "documents", "fee")
    }
    if not form.errors:
        entry.update(updates)
        if not entry["name_en"]:
            entry.pop("name_en")
        if pcode == NEW:
            procedures.append(entry)
        if await c.save(table, f"office.fields[{fi}].procedures[{pi}]", form.errors):
            return c.done(f"/fields/{code}")
    return _procedure_form(c, fi, {**form.values, "no_wait": updates["no_wait"]}, form.errors, 400)


async def procedure_delete(c: Console) -> Response:
    code = c.request.path_params["code"]
    fi = _field_index(c, code)
    pi = _procedure_index(c, fi, c.request.path_params["pcode"])
    table = c.raw()
    del table["fields"][fi]["procedures"][pi]
    errors: dict[str, str] = {}
    if await c.save(table, "office", errors):
        return c.done(f"/fields/{code}", "deleted")
    return _procedure_form(c, fi, {}, errors, 400)


# Counters and the fields each serves, in calling order.


def _counter_index(c: Console, number: str) -> int:
    for i, k in enumerate(c.office.counters):
        if str(k.number) == number:
            return i
    raise NotFound(text_key="error.office.no_counter", params={"number": number})


async def counters_page(c: Console) -> Response:
    return c.render("manage_counters.html", "counters", {})


def _counter_form(
    c: Console, number: str, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    return c.render(
        "manage_counter.html", "counters",
        {"values": values, "errors": errors, "is_new": number == NEW, "number": number},
        status,
    )  # fmt: skip


async def counter_page(c: Console) -> Response:
    number = c.request.path_params.get("number", NEW)
    if number == NEW:
        taken = [k.number for k in c.office.counters]
        values: dict[str, Any] = {"number": max(taken, default=0) + 1}
    else:
        k = c.office.counters[_counter_index(c, number)]
        values = {"number": k.number, "name": k.name}
        values.update({f"order_{code}": i + 1 for i, code in enumerate(k.fields)})
    return _counter_form(c, number, values, {})


async def counter_save(c: Console) -> Response:
    assert c.form is not None
    number = c.request.path_params.get("number", NEW)
    form = Form(c.form, c.lang)
    table = c.raw()
    counters: list[dict[str, Any]] = table["counters"]
    if number == NEW:
        n = form.read(BOUNDS["counters[].number"])
        index, entry = len(counters), {}
    else:
        index = _counter_index(c, number)
        entry, n = counters[index], c.office.counters[index].number
    name = form.read(BOUNDS["counters[].name"])
    ordered = []
    for f in c.office.fields:
        rank = form.integer(f"order_{f.code}", 1, 99, required=False)
        if rank is not None:
            ordered.append((rank, f.code))
    if not ordered and "fields" not in form.errors:
        form.fail("fields", "manage.err.counter_fields")
    if not form.errors:
        entry.update(number=n, fields=[code for _, code in sorted(ordered)])
        if name:
            entry["name"] = name
        else:
            entry.pop("name", None)
        if number == NEW:
            counters.append(entry)
        if await c.save(table, f"office.counters[{index}]", form.errors):
            return c.done("/counters")
    return _counter_form(c, number, form.values, form.errors, 400)


async def counter_delete(c: Console) -> Response:
    number = c.request.path_params["number"]
    index = _counter_index(c, number)
    table = c.raw()
    del table["counters"][index]
    errors: dict[str, str] = {}
    if await c.save(table, "office", errors):
        return c.done("/counters", "deleted")
    k = c.office.counters[index]
    values = {"number": k.number, "name": k.name}
    return _counter_form(c, number, values, errors, 400)


# Priority classes and how often they are called.


def _priority_values(c: Console) -> dict[str, Any]:
    values: dict[str, Any] = {"interleave": c.office.interleave}
    for i, p in enumerate(c.office.priorities):
        values.update({f"code_{i}": p.code, f"name_vi_{i}": p.name_vi, f"name_en_{i}": p.name_en})
    return values


def _priority_form(
    c: Console, values: dict[str, Any], errors: dict[str, str], rows: int, status: int = 200
) -> Response:
    return c.render(
        "manage_priority.html", "priority",
        {"values": values, "errors": errors, "rows": range(rows)},
        status,
    )  # fmt: skip


async def priority_page(c: Console) -> Response:
    return _priority_form(c, _priority_values(c), {}, len(c.office.priorities) + 1)


async def priority_save(c: Console) -> Response:
    assert c.form is not None
    form = Form(c.form, c.lang)
    interleave = form.read(BOUNDS["interleave"])
    # One blank row more than the classes there may be, for a new one.
    rows = form.integer("rows", 1, (BOUNDS["priorities"].max_items or 0) + 1) or 1
    classes = []
    for i in range(rows):
        code = form.raw(f"code_{i}")
        if not code:
            continue
        if form.flag(f"delete_{i}"):
            if code == APPOINTMENT:
                form.fail(f"code_{i}", "manage.err.keep_appointment")
            continue
        classes.append({
            name: form.read(BOUNDS[f"priorities[].{name}"], i)
            for name in ("code", "name_vi", "name_en")
        })  # fmt: skip
    if not form.errors:
        table = c.raw()
        table["interleave"] = interleave
        table["priorities"] = classes
        if await c.save(table, "office", form.errors):
            return c.done("/priority")
    return _priority_form(c, form.values, form.errors, rows, 400)


def routes() -> list[BaseRoute]:
    return [
        page("/fields", fields_page),
        page("/general", general, post=True),
        page("/fields/new", field_page),
        page("/fields/new/save", field_save, post=True),
        page("/fields/{code}", field_page),
        page("/fields/{code}/save", field_save, post=True),
        page("/fields/{code}/delete", field_delete, post=True),
        page("/fields/{code}/procedures/new", procedure_page),
        page("/fields/{code}/procedures/new/save", procedure_save, post=True),
        page("/fields/{code}/procedures/{pcode}", procedure_page),
        page("/fields/{code}/procedures/{pcode}/save", procedure_save, post=True),
        page("/fields/{code}/procedures/{pcode}/delete", procedure_delete, post=True),
        page("/counters", counters_page),
        page("/counters/new", counter_page),
        page("/counters/new/save", counter_save, post=True),
        page("/counters/{number}", counter_page),
        page("/counters/{number}/save", counter_save, post=True),
        page("/counters/{number}/delete", counter_delete, post=True),
        page("/priority", priority_page, post=False),
        page("/priority/save", priority_save, post=True),
    ]
