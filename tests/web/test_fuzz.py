"""Fuzzing the whole JSON API from its OpenAPI document, against a real server.

Schemathesis generates requests for every operation, valid ones and invalid ones (wrong
types, missing fields, strings past maxLength, bad Idempotency-Keys), with and without a
token. Every answer must be no 5xx, a documented status, and match the documented schema;
a 4xx must be `{"error": {"code", "message", "details"?}}`. Path parameters are mostly real
ones (the demo office, tickets in each state, bookings, a print job) so requests reach the
handlers' logic rather than stopping at a 404.

The run is derandomised and small so the suite stays quick and steady; set
SOTHUTU_FUZZ_EXAMPLES=200 for a longer, random exploration.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from queue_server.web.api.openapi import openapi
from tests.conftest import OFFICE

EXAMPLES = int(os.environ.get("SOTHUTU_FUZZ_EXAMPLES", "0"))
API = f"/api/v1/offices/{OFFICE}"
Operation = APIOperation[Any, Any, Any, Any]


def error_shape(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A 4xx answer is `{"error": {"code": str, "message": str}}` with a message to read, and
    `details` (an object) where a page acts on the refusal."""
    if not 400 <= response.status_code < 500:
        return None
    body = response.json()
    assert isinstance(body, dict) and list(body) == ["error"], f"not an error body: {body!r}"
    error = body["error"]
    assert isinstance(error, dict) and set(error) - {"details"} == {"code", "message"}, repr(body)
    assert isinstance(error.get("details", {}), dict), repr(body)
    assert isinstance(error["code"], str) and error["code"], repr(body)
    assert isinstance(error["message"], str) and error["message"], repr(body)
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_shape,
]


def seed(server: str, manager: dict[str, str]) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """Real values: for the path parameters (tickets in each state, a visit booking, a
    result pickup, a print job) and for body and query fields of the same names."""
    with httpx.Client(base_url=server, headers=manager, timeout=10) as http:

        def post(path: str, body: dict[str, Any] | None = None) -> Any:
            resp = http.post(path, json=body)
            assert resp.status_code < 300, resp.text
            return resp.json()

        for n in (1, 2):
            post(f"{API}/counters/{n}/open")
        ids = [post(f"{API}/tickets", {"field": "HT"})["id"] for _ in range(4)]
        post(f"{API}/counters/1/call-next")
        post(f"/api/v1/tickets/{ids[0]}/finish", {"counter": 1})
        post(f"{API}/counters/1/call-next")  # ids[1] called; ids[2], ids[3] wait
        codes = [post(f"/api/v1/tickets/{ids[0]}/result", {"procedure": "1.004873"})["code"]]
        days = http.get(f"{API}/appointments/slots", params={"field": "HT"}).json()["days"]
        slots = http.get(f"{API}/appointments/slots", params={"field": "HT", "day": days[0]})
        starts = [slot["start"] for slot in slots.json()["slots"][:3]]
        booking = {"field": "HT", "start": starts[0], "name": "Lê Thị Mai", "phone": "0912345678"}
        codes.append(post(f"{API}/appointments", booking)["code"])
        job = post(f"{API}/printers/kiosk-1/jobs", {"reprint": ids[2]})["job"]["id"]
    path = {"office": [OFFICE], "id": ids, "n": [1, 2], "code": codes, "name": ["kiosk-1"],
            "job": [job]}  # fmt: skip
    fields = {
        "field": ["HT", "CT"], "procedure": ["1.004873", "1.000656"], "printer": ["kiosk-1"],
        "priority": ["elderly"], "counter": [1, 2], "code": codes, "reprint": ids,
        "start": starts, "day": days[:2], "date": days[-1:], "staff": ["lan", "hoa"],
        "name": ["Lê Thị Mai"], "phone": ["0987654321"], "level": [1, 4], "kind": ["ticket"],
        "username": ["lan"], "password": ["mat-khau-123"],
    }  # fmt: skip
    return path, fields


def cases(operation: Operation, mode: GenerationMode, path: dict[str, list[Any]] | None) -> Any:
    """The operation's requests; with `path`, only with those path parameters."""
    if path is None:
        return operation.as_strategy(mode)
    names = [part[1:-1] for part in operation.path.split("/") if part.startswith("{")]
    return st.one_of([
        operation.as_strategy(mode, path_parameters=dict(zip(names, values, strict=True)))
        for values in itertools.product(*(path[n] for n in names))
    ])  # fmt: skip


def fuzz(
    server: str, requests: Any, real: Any, tokens: list[dict[str, str]], examples: int
) -> set[int]:
    """Sends `examples` requests drawn from `requests`, each with one of `tokens` and with
    some real values (`real`) in place of generated ones; the statuses they got."""
    seen: set[int] = set()

    @given(case=requests, values=real, headers=st.sampled_from(tokens))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not EXAMPLES,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case[Any], values: dict[str, Any], headers: dict[str, str]) -> None:
        for part in (case.body, case.query):
            if isinstance(part, dict):
                part.update({k: v for k, v in values.items() if k in part})
        resp = case.call_and_validate(base_url=server, headers=headers, checks=CHECKS)
        seen.add(resp.status_code)

    run()
    return seen


@pytest.mark.timeout(240)
def test_fuzz_every_operation(server: str, staff_token: str, manager_token: str) -> None:
    manager = {"Authorization": f"Bearer {manager_token}"}
    tokens = [manager, {"Authorization": f"Bearer {staff_token}"}, {}]
    path, fields = seed(server, manager)
    real = st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in fields.items()})
    none: Any = st.just({})
    runs: tuple[tuple[GenerationMode, dict[str, list[Any]] | None, Any, int], ...] = (
        # Valid input on real tickets and bookings (with some real field values), invalid
        # input on them, and valid input on made-up ids and slugs.
        (GenerationMode.POSITIVE, path, real, EXAMPLES or 5),
        (GenerationMode.NEGATIVE, path, none, EXAMPLES or 4),
        (GenerationMode.POSITIVE, None, none, EXAMPLES or 1),
    )
    schema = schemathesis.openapi.from_dict(openapi(server))
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    documented = [m for item in schema.raw_schema["paths"].values() for m in item]
    assert len(operations) == len(documented) - documented.count("parameters")
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        for mode, known, values, examples in runs:
            requests = cases(operation, mode, known)
            try:
                seen = fuzz(server, requests, values, tokens, examples)
            # Schemathesis reports its findings as a BaseExceptionGroup. Every operation is
            # tried, and all failures are shown together.
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")
            else:
                statuses.setdefault(operation.label, set()).update(seen)
    assert not failures, "\n\n".join(failures)
    # The requests reached the handlers' logic, not only the router's 404.
    assert not [label for label, seen in statuses.items() if seen <= {404}], statuses
