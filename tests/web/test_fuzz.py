"""Fuzzing the whole JSON API from its OpenAPI document, against a real server, with every
check schemathesis has.

Two runs. Hypothesis draws requests for every operation, valid ones and invalid ones
(wrong types, missing fields, strings past maxLength, bad Idempotency-Keys), with a
manager's token, a clerk's and none; path parameters are mostly real ones (the demo office,
tickets in each state, bookings, a print job) so requests reach the handlers' logic rather
than stopping at a 404. Then schemathesis's own runner (`schemathesis run --checks all`)
takes the phases that need it: coverage (each boundary value, each missing required header,
every method the document does not list, which must be a 405 with `Allow`) and stateful
(chains of operations through the document's links: a resource used after its DELETE, one
missing right after it was made), with a manager's token and without one.

Every answer must be no 5xx, a documented status in the documented shape; a 4xx must be
`{"error": {"code", "message", "details"?}}`; schema-valid input must be accepted and
schema-invalid input refused, except where a business rule the document cannot state
refuses valid input: those are EXCEPTIONS below, each by operation, check and status, with
its reason.

The run is derandomised and small so the suite stays quick and steady; set
SOTHUTU_FUZZ_EXAMPLES=200 for a longer, random exploration.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckContext, Config, GenerationMode, Response
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok

from queue_server.web.api.openapi import openapi
from tests.conftest import OFFICE

EXAMPLES = int(os.environ.get("SOTHUTU_FUZZ_EXAMPLES", "0"))
API = f"/api/v1/offices/{OFFICE}"
API_ = "/api/v1"
Operation = APIOperation[Any, Any, Any, Any]


# A request that is not HTTP (a control character in a header value, which the client
# library lets through) is refused by uvicorn's parser before the application sees it, in
# plain text; the long random run draws such header values.
PARSER_REFUSAL = b"Invalid HTTP request received."


def error_shape(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A 4xx answer is `{"error": {"code": str, "message": str}}` with a message to read, and
    `details` (an object) where a page acts on the refusal."""
    if not 400 <= response.status_code < 500:
        return None
    if response.status_code == 400 and response.content == PARSER_REFUSAL:
        return None
    body = response.json()
    assert isinstance(body, dict) and list(body) == ["error"], f"not an error body: {body!r}"
    error = body["error"]
    assert isinstance(error, dict) and set(error) - {"details"} == {"code", "message"}, repr(body)
    assert isinstance(error.get("details", {}), dict), repr(body)
    assert isinstance(error["code"], str) and error["code"], repr(body)
    assert isinstance(error["message"], str) and error["message"], repr(body)
    return True


# Business rules the document cannot state: (operation, check, status) -> why. A check
# passes these answers for this operation only; everything else it still fails.
ACCEPT = "positive_data_acceptance"
EXCEPTIONS: dict[tuple[str, str, int], str] = {
    (f"POST {API_}/offices/{{office}}/tickets", ACCEPT, 400): (
        "the priority classes are the office's (configuration): another is 400"
    ),
    (f"POST {API_}/offices/{{office}}/appointments", ACCEPT, 400): (
        "the field, procedure and start must be the office's (its configuration, which"
        " managers edit at runtime): another is 400 `invalid_input`"
    ),
    (f"POST {API_}/offices/{{office}}/appointments/{{code}}/reschedule", ACCEPT, 400): (
        "the start must be a real date and time of one of the office's slots:"
        " 0000-00-00T00:00 has the documented form, and is 400 `invalid_input`"
    ),
    (f"POST {API_}/offices/{{office}}/onsite", ACCEPT, 400): (
        "as for a booking: the office's fields, procedures and staff"
    ),
    (f"POST {API_}/appointments/{{code}}/postpone", ACCEPT, 400): (
        "the new date must be a working day of the office's calendar (holidays and make-up"
        " Saturdays, which managers edit)"
    ),
    (f"GET {API_}/offices/{{office}}/reports", ACCEPT, 400): (
        "without `from` a report starts on the first of this month, so a `to` before that"
        " is a range that ends before it begins"
    ),
    (f"POST {API_}/offices/{{office}}/printers/{{name}}/jobs", ACCEPT, 400): (
        "a document's payload depends on its kind (docs/printing.md); the document says"
        " only that it is an object"
    ),
    (f"POST {API_}/tickets/{{id}}/rating", ACCEPT, 400): (
        "the office's rating scale has 4 or 5 levels (configuration); the document allows 5"
    ),
}


def exceptions_config() -> dict[str, Any]:
    """schemathesis's configuration: each exception widens one check's expected statuses
    for one operation. The same for the in-process run and for `schemathesis run`."""
    defaults = Config().projects.default.checks
    widened: dict[tuple[str, str], list[str]] = {}
    for label, check, status in EXCEPTIONS:
        expected = getattr(defaults, check).expected_statuses
        widened.setdefault((label, check), list(expected)).append(str(status))
    return {
        "operations": [
            {"include-name": label, "checks": {check: {"expected-statuses": statuses}}}
            for (label, check), statuses in widened.items()
        ]
    }


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
        # A request made invalid in its headers may be one that leaves out the required
        # Authorization header: a token added to it would make it valid again.
        if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
            headers = {}
        # Every check schemathesis has (its Python API runs them all unless told otherwise).
        resp = case.call_and_validate(
            base_url=server, headers=headers, additional_checks=[error_shape]
        )
        seen.add(resp.status_code)

    run()
    return seen


@pytest.mark.timeout(3600 if EXAMPLES else 240)
def test_fuzz_every_operation(server: str, staff_token: str, manager_token: str) -> None:
    manager = {"Authorization": f"Bearer {manager_token}"}
    tokens = [manager, {"Authorization": f"Bearer {staff_token}"}, {}]
    path, fields = seed(server, manager)
    real = st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in fields.items()})
    none: Any = st.just({})
    runs: tuple[tuple[GenerationMode, dict[str, list[Any]] | None, Any, int], ...] = (
        # Valid input on real tickets and bookings (with some real field values), invalid
        # input on them, and valid input on made-up ids and slugs.
        (GenerationMode.POSITIVE, path, real, EXAMPLES or 4),
        (GenerationMode.NEGATIVE, path, none, EXAMPLES or 3),
        (GenerationMode.POSITIVE, None, none, EXAMPLES or 1),
    )
    config = Config.from_dict(exceptions_config())
    schema = schemathesis.openapi.from_dict(openapi(server), config=config)
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


def schemathesis_run(
    server: str, config_file: Path, auth: list[str], phases: str
) -> subprocess.Popen[str]:
    """`schemathesis run --checks all` as an operator would run it against a server."""
    return subprocess.Popen(
        [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file",
         str(config_file), "run", f"{server}/api/v1/openapi.json", "--checks", "all",
         "--phases", phases, "--generation-deterministic", "--max-examples", "5", *auth],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.mark.timeout(240)
def test_schemathesis_coverage_and_stateful_phases(
    server: str, manager_token: str, tmp_path: Path
) -> None:
    manager = {"Authorization": f"Bearer {manager_token}"}
    path, _ = seed(server, manager)
    known = {"office": OFFICE, "n": 1, "name": "kiosk-1", "job": path["job"][0]}
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(tomli_w.dumps({**exceptions_config(), "parameters": known}))
    # Both at once: each mostly waits for the server.
    runs = {
        "manager": schemathesis_run(
            server, config_file, ["-H", f"Authorization: Bearer {manager_token}"],
            "coverage,stateful",
        ),
        # Without a token the stateful chains stop at the first 401.
        "no token": schemathesis_run(server, config_file, [], "coverage"),
    }  # fmt: skip
    outputs = {who: run.communicate(timeout=200)[0] for who, run in runs.items()}
    failed = {who: outputs[who][-6000:] for who, run in runs.items() if run.returncode != 0}
    assert not failed, "\n\n".join(f"{who}:\n{out}" for who, out in failed.items())
