"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Every `/api/v1` route of the app is here (tests/web/test_openapi.py walks the route table to
keep it so). An operation names who may call it, its body and query, its answer and the 4xx
errors it can give; what every operation shares (path parameters, `?lang=`,
`Idempotency-Key`, the error answers) is added by `_operation`, not written out each time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from printer import DOCUMENT_KINDS
from queue_server.services.appointments import CCCD_RE, EMAIL_RE, PHONE_RE
from queue_server.services.reports import MAX_RANGE_DAYS
from queue_server.web.api.schemas import (
    DAY,
    LOCAL_TIME,
    SCHEMAS,
    Schema,
    enum,
    nullable,
    obj,
    ref,
    text,
)

OF = "/api/v1/offices/{office}"
TK = "/api/v1/tickets/{id}"

_ERRORS = {
    400: ("BadRequest", "Malformed JSON, a wrong type or value, or a bad Idempotency-Key"),
    401: ("Unauthorized", "No token, or an unknown or expired one"),
    403: (
        "Forbidden",
        "The token lacks the role in this office: a user or device of another office, "
        "or a device of the wrong kind",
    ),
    404: ("NotFound", "No such office, counter, ticket, booking, printer or job"),
    409: ("Conflict", "Not allowed in the current state; `code` says why"),
    410: ("Gone", "The office is closed (`code` `gone`); its reports stay readable"),
    413: ("PayloadTooLarge", "The body is larger than `server.max_body_bytes`"),
    415: ("UnsupportedMediaType", "A body not sent as `Content-Type: application/json`"),
    429: ("TooManyRequests", "Too many bookings from this address or phone number"),
    503: ("Unavailable", "The data store cannot be reached; try again"),
}
_PATH_PARAMS: dict[str, Schema] = {
    "office": {"type": "string", "description": "office slug", "example": "phuong-ba-dinh"},
    "n": {"type": "integer", "minimum": 0, "maximum": 999999, "description": "counter number"},
    "id": {"type": "string", "description": "ticket id, `<office>.<token>`"},
    "code": {"type": "string", "description": "booking code, any case, spaces or dashes"},
    "name": {"type": "string", "description": "printer name", "example": "kiosk-1"},
    "job": {
        "type": "string",
        "pattern": r"^\d{1,20}-\d{1,20}$",
        "description": "print job id",
        "example": "1764140400000-0",
    },
}
COUNTER = {"type": "integer", "minimum": 1, "maximum": 999}
FORCE = {"type": "boolean", "description": "act although warned: the clerk was told and chose to"}
START = {**LOCAL_TIME, "maxLength": 16}
# What the citizen's details must be (services/appointments.py checks them with the same
# expressions; a phone may also be written with spaces, dots, dashes or +84).
NAME = text(100, pattern=r"\S[\s\S]*\S", description="a name of 2-100 letters")
PHONE = text(20, pattern=PHONE_RE.pattern, example="0912345678",
             description="a Vietnamese number of 10 digits")  # fmt: skip
CCCD = {"type": "string", "pattern": CCCD_RE.pattern, "description": "citizen ID, 12 digits"}
EMAIL = text(200, pattern=EMAIL_RE.pattern)
# A date, or empty for the default.
DAY_OR_DEFAULT = {"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}],
                  "example": "2026-11-26"}  # fmt: skip
# A month from 2000-01 (events are read by their stream ids), or empty for this month.
MONTH_OR_DEFAULT = {"type": "string", "example": "2026-11",
                    "pattern": r"^(2\d{3}-(0[1-9]|1[0-2]))?$"}  # fmt: skip


Operation = tuple[str, str, dict[str, Any]]


@dataclass(frozen=True)
class Who:
    """Who may call an operation: the text for people, the bearer token for the spec."""

    text: str
    token: str = "none"  # "none", "optional" or "required"


ANYONE = Who("anyone")
HOLDER = Who("anyone holding the ticket id (96 random bits)")
BOOKER = Who("anyone holding the booking code")
KIOSK = Who(
    "a kiosk device or a staff user; anyone when the office has `open_kiosk = true`", "optional"
)
STAFF = Who("a staff, manager or admin user", "required")
MANAGER = Who("a manager or admin user", "required")
ADMIN = Who("a province admin user", "required")


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(
    method: str,
    path: str,
    summary: str,
    who: Who,
    ok: Schema,
    *,
    status: int = 200,
    body: Schema | None = None,
    query: dict[str, Schema] | None = None,
    required_query: tuple[str, ...] = (),
    errors: tuple[int, ...] = (),
    also: dict[str, Any] | None = None,
    note: str = "",
    idempotent: bool = True,
) -> Operation:
    """(method, path, operation): the operation with what follows from its path, who may
    call it and whether it reads a body, a query or an Idempotency-Key."""
    writes = idempotent and method in ("post", "delete")
    statuses = set(errors) | {503}
    params: list[dict[str, Any]] = [{"$ref": "#/components/parameters/lang"}]
    if writes:
        params.append({"$ref": "#/components/parameters/Idempotency-Key"})
        statuses.add(400)
    for name, schema in (query or {}).items():
        params.append(
            {"name": name, "in": "query", "required": name in required_query, "schema": schema}
        )
        statuses.add(400)
    op: dict[str, Any] = {
        "summary": summary,
        "description": f"Who: {who.text}." + (f" {note}" if note else ""),
        "parameters": params,
    }
    if body is not None:
        # A body whose every field is optional may be left out (an empty body is `{}`).
        required = bool(body.get("required") or body.get("anyOf"))
        schema = _null_is_absent(body)
        op["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": schema}},
        }
        statuses |= {400, 413, 415}
    if who.token != "none":
        op["security"] = [{"bearer": []}] + ([{}] if who.token == "optional" else [])
        statuses |= {401, 403}
    if "{" in path:
        statuses |= {404, 410}
    if "{n}" in path:
        statuses.add(400)
    responses: dict[str, Any] = {str(status): _json(ok, "OK")}
    responses.update(also or {})
    for code in sorted(statuses):
        responses[str(code)] = {"$ref": f"#/components/responses/{_ERRORS[code][0]}"}
    op["responses"] = responses
    return method, path, op


def _given(name: str, kind: str) -> Schema:
    """`name` is there and not null: one of a choice of fields that must be given."""
    return {"required": [name], "properties": {name: {"type": kind}}}


def _null_is_absent(schema: Schema) -> Schema:
    """The body's optional fields may also be null: the handlers read null as absent."""
    if "anyOf" in schema and "properties" not in schema:
        return {**schema, "anyOf": [_null_is_absent(s) for s in schema["anyOf"]]}
    required = set(schema.get("required", ()))
    properties = {
        name: prop if name in required else nullable(prop)
        for name, prop in schema.get("properties", {}).items()
    }
    return {**schema, "properties": properties} if properties else schema


def _tickets() -> list[Operation]:
    steps = [
        _op("post", f"{TK}/{action}", f"{summary} a called or serving ticket", STAFF,
            ref("Ticket"), body=obj({}, {"counter": COUNTER}), errors=(409,))
        for action, summary in (("recall", "Call again"), ("start", "Start serving"),
                                ("finish", "Finish"), ("no-show", "Mark as not present"))
    ]  # fmt: skip
    level = {"type": "integer", "minimum": 1, "maximum": 5, "description": "1 is the best"}
    return [
        _op("post", f"{OF}/tickets", "Issue a ticket", KIOSK, ref("Issued"), status=201,
            body=obj({"field": text(8, example="HT")},
                     {"priority": text(32, example="elderly"),
                      "printer": text(64, example="kiosk-1")}),
            errors=(409,),
            note="409 `walk_in_closed` after the walk-in stop, `numbers_exhausted` when the "
            "field's numbers for the day are used up. With `printer` the ticket is also "
            "printed there (`print_job`); an unknown printer is a 404 before any ticket."),
        _op("get", TK, "A ticket with its position and estimated wait", HOLDER, ref("Placed")),
        _op("post", f"{TK}/call", "Call this waiting ticket out of order", STAFF,
            ref("Ticket"), body=obj({"counter": COUNTER}), errors=(409,)),
        *steps,
        _op("post", f"{TK}/transfer", "Move a waiting or called ticket to another field or "
            "counter", STAFF, ref("Ticket"),
            body={**obj({}, {"field": text(8), "counter": COUNTER, "force": FORCE}),
                  "anyOf": [_given("field", "string"), _given("counter", "integer")]},
            errors=(409,), note="It keeps its place by issue order. To a counter that is "
            "not open: 409 `counter_closed` or `counter_paused` (`details`: counter, name, "
            "status) unless `force` is true."),
        _op("post", f"{TK}/cancel", "Cancel a waiting ticket", HOLDER, ref("Ticket"),
            errors=(409,)),
        _op("post", f"{TK}/rating", "Rate a finished ticket, once", HOLDER, ref("Rated"),
            status=201, body=obj({"level": level}, {"reason": text(300)}), errors=(409,),
            note="`reason`: a preset code (wait, attitude, guidance, documents, facilities) "
            "or free text. 409 `not_finished` (only a done ticket), `already_rated`."),
    ]  # fmt: skip


def _counters() -> list[Operation]:
    c = f"{OF}/counters/{{n}}"
    actions = [
        _op("post", f"{c}/open", "Open a counter", STAFF, ref("CounterState"), errors=(409,)),
        *(_op("post", f"{c}/{action}", f"{action.capitalize()} a counter", STAFF,
              ref("CounterState"), body=obj({}, {"force": FORCE}), errors=(409,),
              note="409 `last_counter` when it is the last open counter of a field with "
              "people waiting (`details`: counter, action, waiting, fields with code, names "
              "and waiting) unless `force` is true; `counter_busy` (close only) while it "
              "serves a ticket.")
          for action in ("pause", "close")),
    ]  # fmt: skip
    return [
        *actions,
        _op("post", f"{c}/call-next", "Call the next ticket by the calling policy", STAFF,
            ref("Ticket"), errors=(409,), also={"204": {"description": "Nobody is waiting"}},
            note="409 `counter_not_open`, `counter_busy` (still serving)."),
        _op("get", f"{c}/today", "What the counter did today", STAFF, ref("CounterToday")),
        _op("get", f"{c}/served", "The tickets the counter finished today, the last first",
            STAFF, ref("Served"),
            note="A pickup slip can still be made for each (POST /tickets/{id}/result)."),
    ]  # fmt: skip


def _offices() -> list[Operation]:
    name = text(200, pattern=r"\S", example="Trung tâm Phục vụ hành chính công phường Kim Mã")
    address = text(200, example="Số 2 Kim Mã, Hà Nội")
    slug = text(64, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", example="phuong-kim-ma")
    create = {
        "anyOf": [
            obj({"copy_from": slug, "slug": slug, "name": name}, {"address": address}),
            obj(
                {
                    "table": {
                        "type": "object",
                        "description": "the office's table, as a "
                        "`[[offices]]` entry of config.toml, in JSON",
                    }
                }
            ),
            obj(
                {
                    "toml": text(
                        256 * 1024,
                        description="the office's table in TOML, or a "
                        "config.toml with one `[[offices]]` entry",
                    )
                }
            ),
        ]
    }
    return [
        _op("get", "/api/v1/offices", "Every office of the deployment, open or closed", ADMIN,
            ref("OfficeList")),
        _op("post", "/api/v1/offices", "Add an office: a copy of another, or a table",
            ADMIN, ref("ListedOffice"), status=201, body=create, errors=(404, 409),
            idempotent=False,
            note="A copy takes the other office's fields, procedures, counters, hours and "
            "days off, priorities, appointments and ratings, not its printers. A table is "
            "validated as config.toml's: 400 names the key and the reason (`details`: key, "
            "reason) and nothing is saved. 409 when the slug is taken (a closed office "
            "keeps its slug). Every server process serves the office within moments, "
            "without a restart."),
        _op("post", f"{OF}/rename", "Change an office's name and address (not its slug)",
            ADMIN, ref("ListedOffice"), body=obj({"name": name}, {"address": address}),
            idempotent=False),
        _op("post", f"{OF}/close", "Close an office: it stops issuing and leaves the screens",
            ADMIN, ref("ListedOffice"), errors=(409,), idempotent=False,
            note="Kiosks, counters and boards of a closed office answer 410; its reports stay"
            " (GET /offices/{office}/reports). 409 when it is closed already."),
        _op("post", f"{OF}/reopen", "Reopen a closed office", ADMIN, ref("ListedOffice"),
            errors=(409,), idempotent=False, note="409 when it is open."),
        _op("get", OF, "Fields with procedures, counters and priority classes", ANYONE,
            ref("Office")),
        _op("get", f"{OF}/overview", "Each field's waiting count, wait and availability",
            ANYONE, ref("Overview")),
        _op("get", f"{OF}/queue", "Waiting tickets per lane in calling order, counters and "
            "the last calls", Who("a staff user or a display device", "required"),
            ref("Snapshot")),
    ]  # fmt: skip


def _appointments() -> list[Operation]:
    a = f"{OF}/appointments"
    return [
        _op("get", f"{a}/slots", "Days with bookable slots, or one day's slots", ANYONE,
            {"anyOf": [ref("SlotDays"), ref("DaySlots")]},
            # At least one character that is not space (Python's str.strip drops \x1c-\x1f).
            query={"field": text(8, example="HT", pattern=r"[^\s\x1c-\x1f\x85]"), "day": DAY},
            required_query=("field",),
            note="Without `day`: the days of the horizon that have slots."),
        _op("post", a, "Book a slot", ANYONE, ref("Booking"), status=201,
            body=obj({"field": text(8), "start": START, "name": NAME, "phone": PHONE},
                     {"procedure": text(32), "cccd": CCCD, "email": EMAIL}),
            errors=(409, 429),
            note="400 `invalid_input` names each wrong field; 409 `slot_full`, "
            "`slot_unavailable`, `phone_limit`."),
        _op("get", f"{a}/{{code}}", "A booking", BOOKER, ref("Booking")),
        _op("post", f"{a}/{{code}}/reschedule", "Move a booking to another slot", BOOKER,
            ref("Booking"), body=obj({"start": START}), errors=(409, 429)),
        _op("post", f"{a}/{{code}}/cancel", "Cancel a booking", BOOKER, ref("Booking"),
            errors=(401, 403, 409),
            note="A visit at an address (`onsite`) needs a staff token."),
        _op("post", f"{OF}/check-in", "Check in a booking: its appointment ticket", KIOSK,
            ref("CheckIn"), status=201, body=obj({"code": text(40)}, {"printer": text(64)}),
            errors=(409,), idempotent=False,
            also={"200": _json(ref("CheckIn"), "A repeated check-in, or too early/late")},
            note="409 for a cancelled, no-show or on-site booking. A repeated check-in "
            "answers the same ticket with `again: true`."),
        _op("post", f"{OF}/onsite", "Book a visit at an address", STAFF, ref("Booking"),
            status=201,
            body=obj({"field": text(8), "start": START, "address": text(300),
                      "name": NAME, "phone": PHONE},
                     {"staff": text(64), "procedure": text(32),
                      "minutes": {"type": "integer", "minimum": 1, "maximum": 1440}}),
            errors=(409,), note="409 `staff_busy` (overlap), `outside_hours`."),
        _op("get", f"{OF}/plan", "The day's bookings of every kind, in time order", STAFF,
            ref("Plan"), query={"day": DAY_OR_DEFAULT}),
        _op("post", f"{TK}/result", "Record a result pickup for a served ticket", STAFF,
            ref("Slip"), status=201,
            body=obj({"procedure": text(32)},
                     {"name": text(100), "phone": PHONE, "printer": text(64)}),
            errors=(409,),
            note="The date is counted in working days. One pickup per ticket and procedure"
            " (a repeat answers the first). 400 `wrong_procedure`: the procedure is neither of"
            " the ticket's field nor of a field its counter serves; 400 `invalid_input`: a"
            " phone that is not a Vietnamese number."),
        _op("post", "/api/v1/appointments/{code}/postpone", "Postpone a result pickup", STAFF,
            ref("Slip"),
            body={**obj({"reason": text(300)},
                        {"working_days": {"type": "integer", "minimum": 1, "maximum": 60},
                         "date": {**DAY, "maxLength": 10}, "printer": text(64)}),
                  "anyOf": [_given("working_days", "integer"), _given("date", "string")]},
            errors=(409,),
            note="To `date`, or by `working_days` of the office's calendar counted from the"
            " day promised (from today once that is past). The slip becomes an apology slip"
            " (mẫu 04). 400 `invalid_input`: no reason, or no date and no working_days;"
            " 409 `invalid_state`: the result was collected; 409 `not_later`."),
        _op("get", "/api/v1/appointments/{code}/pickup", "A result pickup found by its code",
            STAFF, ref("Pickup"),
            query={"working_days": {"type": "integer", "minimum": 1, "maximum": 60}},
            note="With `working_days`, `postponed_to` says the day it would move to."),
    ]  # fmt: skip


def _printers() -> list[Operation]:
    p = f"{OF}/printers"
    document = {"type": "object", "description": "the document's payload (docs/printing.md)"}
    job = obj({"kind": enum(*DOCUMENT_KINDS), "data": document})
    return [
        _op("get", p, "Printers with their state and jobs",
            Who("a staff user or a kiosk device", "required"), ref("Printers")),
        _op("post", f"{p}/{{name}}/jobs", "Print a document, or reprint a ticket", STAFF,
            ref("JobQueued"), status=202,
            body={"anyOf": [obj({"reprint": text(120, description="ticket id")}), job]},
            note="The answer says where the job is and the printer's state; a printer thought"
            " online is given up to 2 s to print the job or fail its attempt first."),
        _op("get", f"{p}/{{name}}/jobs/{{job}}", "Where a print job is, and the printer's state",
            Who("a staff user or a kiosk device", "required"), ref("JobStatus")),
        _op("delete", f"{p}/{{name}}/jobs/{{job}}", "Clear or cancel a waiting or held print job",
            STAFF, ref("JobCleared"), errors=(409,),
            note="A manager clears any waiting or held job; a staff user cancels a waiting job"
            " they sent (403 otherwise). 409 `printing` while its bytes are being sent (it may"
            " print), 409 `printed` once it printed: neither can be cancelled."),
    ]  # fmt: skip


def _others() -> list[Operation]:
    return [
        _op("post", "/api/v1/auth/token", "Log in: a bearer token for 12 hours", ANYONE,
            ref("Token"), body=obj({"username": text(64), "password": text(200)}),
            errors=(401,), idempotent=False),
        _op("get", f"{OF}/reports", "Report figures over a date range", MANAGER,
            ref("Report"), query={"from": DAY_OR_DEFAULT, "to": DAY_OR_DEFAULT},
            note=f"Default: this month up to today. At most {MAX_RANGE_DAYS} days, from "
            "2000-01-01 on."),
        _op("get", "/api/v1/openapi.json", "This document", ANYONE, {"type": "object"}),
        _op("get", "/api/v1/noop", "For benchmarks: the HTTP stack alone", ANYONE,
            obj({"ok": {"type": "boolean"}})),
    ]  # fmt: skip


def _province() -> list[Operation]:
    return [
        _op("get", "/api/v1/province/overview", "Every office now, side by side", ADMIN,
            ref("ProvinceOverview"),
            note="A row per office: waiting now, the longest wait, counters open, and today's"
            " served tickets, share within the target wait and rating average; `overdue` "
            "while a waiting ticket has waited past its field's `target_wait_minutes` "
            "(docs/api.md says how each figure is counted). Live: WebSocket /ws/province."),
        _op("get", "/api/v1/province/reports", "One month's report figures, per office and "
            "in total", ADMIN, ref("ProvinceReport"), query={"month": MONTH_OR_DEFAULT},
            note="Default: this month up to today. The figures of each office's own report "
            "(`/offices/{office}/reports`), plus `rating_average`."),
    ]  # fmt: skip


SECTIONS = {
    "tickets": _tickets,
    "counters": _counters,
    "offices": _offices,
    "appointments": _appointments,
    "printers": _printers,
    "province": _province,
    "others": _others,
}


def _paths() -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    for tag, section in SECTIONS.items():
        for method, path, op in section():
            item = paths.setdefault(path, {})
            names = re.findall(r"{(\w+)}", path)
            if names and "parameters" not in item:
                item["parameters"] = [
                    {"name": n, "in": "path", "required": True, "schema": _PATH_PARAMS[n]}
                    for n in names
                ]
            item[method] = {"tags": [tag], **op}
    return paths


def _components() -> dict[str, Any]:
    return {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A user token from /api/v1/auth/token, or a device token "
                "(`python -m queue_server device add`).",
            }
        },
        "parameters": {
            "lang": {
                "name": "lang",
                "in": "query",
                "required": False,
                "description": "Language of error messages and labels: vi or en; any other"
                " value is ignored (then Accept-Language, then vi)",
                "schema": {"type": "string", "examples": ["vi", "en"]},
            },
            "Idempotency-Key": {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A repeated key (per office, 24 h) returns the first answer",
                "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{8,128}$"},
            },
        },
        "responses": {name: _json(ref("Error"), text_) for name, text_ in _ERRORS.values()},
        "schemas": SCHEMAS,
    }


def openapi(server_url: str) -> dict[str, Any]:
    """The document, with `server_url` (the server's public address) as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sothutu",
            "version": "1",
            "description": "Queue tickets, counters, appointments, printing, ratings and "
            'reports. Errors are `{"error": {"code", "message"}}`. Realtime events: '
            "WebSocket /ws/offices/{office}?since=<event id> (docs/api.md).",
        },
        "servers": [{"url": server_url}],
        "paths": _paths(),
        "components": _components(),
    }
