"""The JSON shapes of /api/v1 as OpenAPI 3.1 (JSON Schema 2020-12), built from small helpers.

Each shape is written once: a bigger answer is a smaller one's properties plus its own
(`Placed` is a `Ticket` with its place in line), merged here rather than repeated.
"""

from __future__ import annotations

from typing import Any

from printer import DOCUMENT_KINDS, REASONS

Schema = dict[str, Any]

INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
STRING: Schema = {"type": "string"}
EPOCH_MS: Schema = {"type": "integer", "description": "epoch milliseconds"}
DAY: Schema = {"type": "string", "format": "date", "example": "2026-11-26"}
LOCAL_TIME: Schema = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$",
    "description": "office-local date and time, YYYY-MM-DDTHH:MM",
    "example": "2026-11-26T09:00",
}


def text(max_length: int, **extra: Any) -> Schema:
    """A non-empty string of at most `max_length` characters: what `opt_str` accepts."""
    return {"type": "string", "minLength": 1, "maxLength": max_length, **extra}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    if isinstance(schema.get("type"), str) and "enum" not in schema:
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object whose `required` properties are always there and `optional` ones may be."""
    schema: Schema = {"type": "object", "properties": {**required, **(optional or {})}}
    if required:
        schema["required"] = list(required)
    return schema


# Properties shared by several shapes, each written once.

_NAMES = {"code": STRING, "name_vi": STRING, "name_en": STRING}

TICKET = {
    "id": STRING,
    "office": STRING,
    "number": {"type": "string", "example": "A012"},
    "field": STRING,
    "lane": {"type": "string", "description": "a field code, or '@3' for counter 3"},
    "priority": nullable(STRING),
    "class": enum("normal", "priority", "appointment"),
    "status": enum("waiting", "called", "serving", "done", "no_show", "cancelled"),
    "issued_at": EPOCH_MS,
    "order": INTEGER,
    "day": DAY,
    "recalls": INTEGER,
    "due_at": nullable(EPOCH_MS),
    "counter": nullable(INTEGER),
    "called_at": nullable(EPOCH_MS),
    "started_at": nullable(EPOCH_MS),
    "finished_at": nullable(EPOCH_MS),
    "transferred_from": nullable(STRING),
    "cancel_reason": nullable(STRING),
}
PLACED = {
    **TICKET,
    "position": nullable({"type": "integer", "description": "people ahead; null if not waiting"}),
    "estimated_wait_s": nullable(INTEGER),
    "waiting_at": {
        **nullable(
            obj({"counter": INTEGER, "name": STRING, "status": enum("open", "paused", "closed")})
        ),
        "description": "the counter a waiting ticket was sent to, and its state; null when "
        "it waits for its field (its estimate is null while that counter is not open)",
    },
}
COUNTER_STATE = {
    "number": INTEGER,
    "status": enum("open", "paused", "closed"),
    "current": nullable({"type": "string", "description": "ticket id"}),
    "current_number": nullable(STRING),
    "current_status": nullable(STRING),
    "streak": {"type": "integer", "description": "priority calls in a row"},
    "staff": nullable(STRING),
    "updated_at": nullable(EPOCH_MS),
}
# What the kiosk's check-in answer shows of a booking: no phone, history or ticket id.
BOOKING_PUBLIC = {
    "code": {"type": "string", "example": "K7M2QX9A"},
    "office": STRING,
    "kind": enum("visit", "result", "onsite"),
    "field": STRING,
    "procedure": STRING,
    "name": STRING,
    "start": EPOCH_MS,
    "end": EPOCH_MS,
    "day": DAY,
    "status": enum("booked", "checked_in", "cancelled", "no_show"),
    "ticket_number": nullable(STRING),
    "reschedules": INTEGER,
    "reason": nullable(STRING),
    "staff": nullable(STRING),
    "address": nullable(STRING),
    "field_name": STRING,
    "procedure_name": STRING,
    "date_label": STRING,
    "time_label": STRING,
    "status_label": STRING,
}
BOOKING = {
    **BOOKING_PUBLIC,
    "phone": STRING,
    "ticket": nullable({"type": "string", "description": "ticket id once checked in"}),
    "history": array({"type": "object"}),
}
_MINUTES = nullable({"type": "number", "description": "minutes"})
_PERCENT = nullable({"type": "number", "description": "per cent"})
_LEVEL = nullable({"type": "number", "description": "mean rating level, 1 = very satisfied"})
DIMENSIONS = ("field", "counter", "staff", "class")
FIGURES = {
    "issued": INTEGER,
    "served": INTEGER,
    "no_show": INTEGER,
    "cancelled": INTEGER,
    "avg_wait": _MINUTES,
    "p90_wait": _MINUTES,
    "avg_service": _MINUTES,
    "p90_service": _MINUTES,
    "service_level": _PERCENT,
    "appt_booked": INTEGER,
    "appt_kept": INTEGER,
    "appt_no_show": INTEGER,
    "results": INTEGER,
    "results_late": INTEGER,
    "results_on_time": _PERCENT,
    "rated": INTEGER,
    "satisfaction": _PERCENT,
}
JOB = {
    "id": STRING,
    "kind": enum(*DOCUMENT_KINDS),
    "ticket": nullable(STRING),
    "number": nullable({"type": "string", "description": "ticket number or slip code"}),
    "requested_by": STRING,
    "at": EPOCH_MS,
}


_PROCEDURE = obj(
    {**_NAMES, "legal_days": INTEGER, "no_wait": BOOLEAN, "documents": array(STRING), "fee": STRING}
)
_FIELD = obj(
    {
        **_NAMES,
        "prefix": STRING,
        "service_minutes": NUMBER,
        "target_wait_minutes": INTEGER,
        "procedures": array(_PROCEDURE),
    }
)
OFFICE = obj(
    {
        "slug": STRING,
        "name": STRING,
        "address": STRING,
        "timezone": STRING,
        "announce": enum("digits", "number"),
        "interleave": INTEGER,
        "fields": array(_FIELD),
        "counters": array(obj({"number": INTEGER, "name": STRING, "fields": array(STRING)})),
        "priorities": array(obj(_NAMES)),
    }
)
# The call scripts store `counter` and `at` as text ("3", "1764140400000"): a number is
# documented as either until they store numbers.
_TEXT_OR_NUMBER: Schema = {"type": ["string", "integer"]}
_RECENT_CALL = obj(
    {
        "number": STRING,
        "field": STRING,
        "counter": _TEXT_OR_NUMBER,
        "at": {**_TEXT_OR_NUMBER, "description": "epoch milliseconds"},
        "event": STRING,
    },
    {"id": STRING, "recall": BOOLEAN},
)
SNAPSHOT = obj(
    {
        "office": STRING,
        "last_event": nullable(STRING),
        "day": DAY,
        "lanes": {"type": "object", "additionalProperties": array(ref("Ticket"))},
        "counters": array(obj({**COUNTER_STATE, "ticket": nullable(ref("Ticket"))})),
        "recent_calls": array(_RECENT_CALL),
        "message": nullable(obj({"text": STRING, "until_ms": EPOCH_MS})),
    }
)
_FIELD_LOAD = obj(
    {
        **_NAMES,
        "prefix": STRING,
        "waiting": INTEGER,
        "estimated_wait_s": INTEGER,
        "open_counters": INTEGER,
        "available": BOOLEAN,
        "reason": nullable(enum("walk_in_closed", "no_open_counter")),
        "reason_text": nullable(STRING),
    }
)
_WALK_IN = obj(
    {
        "open": BOOLEAN,
        "reason": nullable(enum("before_opening", "after_stop", "day_closed")),
        "text": {**nullable(STRING), "description": "why closed and when to come back"},
        "next_opening": {**nullable(STRING), "description": "office-local ISO time"},
    }
)
_SLOT = obj({"start": LOCAL_TIME, "end": LOCAL_TIME, "remaining": INTEGER})
CHECK_IN = obj(
    {
        "status": enum("ok", "early", "late"),
        "again": {"type": "boolean", "description": "a repeated check-in: the same ticket"},
        "booking": obj(BOOKING_PUBLIC),
        "ticket": nullable(ref("Placed")),
        "opens_at": nullable({"type": "string", "description": "when check-in opens"}),
    },
    {
        "call_notice": {
            "type": "string",
            "description": "when the ticket is called, in the asker's language",
            "example": "Số của bạn sẽ được gọi lúc 9:30.",
        },
        "status_url": {
            "type": "string",
            "description": "the ticket's status page",
            "example": "/t/phuong-ba-dinh.Xk2",
        },
    },
)
SLIP = obj(
    {
        **BOOKING,
        "slip_url": {"type": "string", "example": "/appointments/K7M2QX9A/slip.png"},
        "slip_page": {"type": "string", "example": "/appointments/K7M2QX9A/slip"},
        "print_job": nullable(STRING),
        "print_status": nullable(ref("JobStatusValue")),
        "printer_state": nullable(ref("PrinterState")),
    }
)
REPORT = obj(
    {
        "office": STRING,
        "from": DAY,
        "to": DAY,
        "live_day": nullable(DAY),
        "total": obj(FIGURES),
        "ratings": {**array(INTEGER), "description": "count per level, best first"},
        "days": array(obj({"day": DAY, **FIGURES})),
        **{dim: array(obj({"key": STRING, **FIGURES})) for dim in DIMENSIONS},
        "hours": {**array(array(INTEGER)), "description": "issued per weekday and hour"},
        "built_days": INTEGER,
        "seconds": NUMBER,
    }
)
_OFFICE_ROW = obj(
    {
        "office": STRING,
        "name": STRING,
        "day": DAY,
        "as_of_ms": {**EPOCH_MS, "description": "when the waits were measured"},
        "waiting": INTEGER,
        "longest_wait_s": nullable({"type": "integer", "description": "null: nobody waits"}),
        "longest_since_ms": nullable({**EPOCH_MS, "description": "the longest wait's start"}),
        "counters_open": INTEGER,
        "counters": INTEGER,
        "served_today": INTEGER,
        "within_target_today": INTEGER,
        "within_target_share": _PERCENT,
        "rated_today": INTEGER,
        "rating_average": _LEVEL,
        "overdue": {**BOOLEAN, "description": "a waiting ticket passed its field's target"},
        "overdue_at_ms": nullable(
            {**EPOCH_MS, "description": "when the first waiting ticket passes its target"}
        ),
        "overdue_fields": array(STRING),
    }
)
_PROVINCE_FIGURES = {**FIGURES, "rating_average": _LEVEL}
PROVINCE_REPORT = obj(
    {
        "month": {"type": "string", "example": "2026-11"},
        "from": DAY,
        "to": DAY,
        "offices": array(
            obj(
                {
                    "office": STRING,
                    "name": STRING,
                    "live_day": nullable(DAY),
                    **_PROVINCE_FIGURES,
                    "ratings": {**array(INTEGER), "description": "count per level, best first"},
                }
            )
        ),
        "total": obj(_PROVINCE_FIGURES),
    }
)
PRINTER_STATE = obj(
    {
        "name": STRING,
        "state": {
            **enum("online", "offline", "unknown"),
            "description": "online: a job sent now prints; offline: it waits in line until"
            " the printer is back; unknown: not heard from yet",
        },
        "status": enum(
            "ok", "paper_out", "cover_open", "error", "offline", "unknown", "disconnected"
        ),
        "since": nullable({**EPOCH_MS, "description": "when the printer entered this state"}),
        "reason": nullable(
            {
                **enum(*REASONS, "no_agent"),
                "description": "why it cannot print (offline only); pages show it in words",
            }
        ),
        "problems": array(STRING),
        "detail": nullable({"type": "string", "description": "the recorded error, for IT staff"}),
    },
    {"waiting": {"type": "integer", "description": "jobs in the printer's line"}},
)
_PRINTER = obj(
    {
        "name": STRING,
        "availability": ref("PrinterState"),
        "driver": enum("server", "agent"),
        "paper": INTEGER,
        "mode": STRING,
        "state": enum(
            "ok", "paper_out", "cover_open", "error", "offline", "unknown", "disconnected"
        ),
        "problems": array(STRING),
        "driven": BOOLEAN,
        "last_ok": nullable(EPOCH_MS),
        "last_error": nullable(STRING),
        "last_error_at": nullable(EPOCH_MS),
        "updated_at": nullable(EPOCH_MS),
        "sending": nullable(STRING),
        "pending": array(ref("Job")),
        "held": array(ref("Job")),
    }
)

# components/schemas of the document.
LISTED_OFFICE = obj(
    {
        "slug": STRING,
        "name": STRING,
        "address": STRING,
        "state": enum("active", "closed"),
        "periods": array(obj({"from": EPOCH_MS, "to": nullable(EPOCH_MS)})),
        "changed_by": STRING,
        "changed_at": EPOCH_MS,
    }
)


SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        {"error": obj({"code": STRING, "message": STRING}, {"details": {"type": "object"}})}
    ),
    "Token": obj(
        {
            "access_token": STRING,
            "token_type": enum("bearer"),
            "role": enum("admin", "manager", "staff"),
            "offices": {"type": "object", "additionalProperties": enum("manager", "staff")},
            "username": STRING,
        }
    ),
    "Office": OFFICE,
    "ListedOffice": LISTED_OFFICE,
    "OfficeList": obj({"offices": array(LISTED_OFFICE)}),
    "Ticket": obj(TICKET),
    "Placed": obj(PLACED),
    "Issued": obj(PLACED, {"print_job": {"type": "string", "description": "with 'printer'"}}),
    "CounterState": obj(COUNTER_STATE),
    "CounterToday": obj(
        {
            "counter": INTEGER,
            "day": DAY,
            "served": INTEGER,
            "no_show": INTEGER,
            "avg_service_s": nullable(INTEGER),
        }
    ),
    "Snapshot": SNAPSHOT,
    "Overview": obj(
        {"office": STRING, "name": STRING, "walk_in": _WALK_IN, "fields": array(_FIELD_LOAD)}
    ),
    "SlotDays": obj({"days": array(DAY)}),
    "DaySlots": obj({"day": DAY, "slots": array(_SLOT)}),
    "Booking": obj(BOOKING),
    "CheckIn": CHECK_IN,
    "Slip": SLIP,
    "Pickup": obj(
        {**BOOKING, "open": BOOLEAN, "slip_page": STRING},
        {"postponed_to": obj({"day": DAY, "date_label": STRING})},
    ),
    "Served": obj(
        {
            "counter": INTEGER,
            "tickets": array(
                obj({"id": STRING, "number": STRING, "field": STRING, "finished_at": EPOCH_MS})
            ),
        }
    ),
    "Plan": obj({"day": DAY, "items": array(ref("Booking"))}),
    "Rated": obj(
        {
            "ok": BOOLEAN,
            "level": INTEGER,
            "event": {"type": "string", "description": "the ticket.rated event id"},
        }
    ),
    "Report": REPORT,
    "ProvinceOverview": obj({"now_ms": EPOCH_MS, "offices": array(_OFFICE_ROW)}),
    "ProvinceReport": PROVINCE_REPORT,
    "Job": obj(JOB, {"reason": enum("uncertain", "invalid"), "detail": STRING}),
    "Printers": obj({"office": STRING, "printers": array(_PRINTER)}),
    "JobQueued": obj(
        {
            "printer": STRING,
            "job": ref("Job"),
            "status": ref("JobStatusValue"),
            "printer_state": ref("PrinterState"),
        }
    ),
    "JobStatusValue": {
        **enum("waiting", "printing", "held", "printed", "cleared", "unknown"),
        "description": "where a job is: in line, its bytes on the wire, held for a person,"
        " printed, cleared or cancelled (both remembered for a day), or unknown",
    },
    "JobStatus": obj(
        {
            "printer": STRING,
            "job": STRING,
            "status": ref("JobStatusValue"),
            "printer_state": ref("PrinterState"),
        }
    ),
    "PrinterState": PRINTER_STATE,
    "JobCleared": obj({"printer": STRING, "cleared": STRING, "from": enum("queue", "held")}),
}
