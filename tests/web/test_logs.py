"""The log of `python -m queue_server serve` with `log_format = "json"`: one JSON object a
line, each line of a request with the request's id (the client's `X-Request-Id`, or one
made) and its office, route, status and duration; and no phone number, password or token
in any line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import OFFICE
from tests.support.server import ROOT, ServeProcess

API = f"/api/v1/offices/{OFFICE}"
FIELDS = {"time", "level", "logger", "message", "request_id", "office", "route", "status",
          "duration_ms"}  # fmt: skip
PASSWORD = "Mat-Khau-Rat-Bi-Mat-4817"
PHONE = "0987123450"
NAME = "Trần Thị Bảo Ngọc"


class Served:
    def __init__(self, server: ServeProcess) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=10)

    def cli(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [sys.executable, "-m", "queue_server", "--config", str(self.server.config), *args],
            cwd=ROOT, input=stdin.encode(), capture_output=True, check=True, timeout=30,
        )  # fmt: skip
        return done.stdout.decode().strip()

    def text(self) -> str:
        return self.server.log.read_text("utf-8")

    def records(self) -> list[dict[str, Any]]:
        """Every JSON line of the log (the lines `serve` prints before logging are not)."""
        return [json.loads(line) for line in self.text().splitlines() if line.startswith("{")]

    def lines_of(self, request_id: str, count: int = 1) -> list[dict[str, Any]]:
        """The log's lines of a request, once there are `count` of them."""
        deadline = time.monotonic() + 5
        while True:
            found = [r for r in self.records() if r["request_id"] == request_id]
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, (request_id, self.text()[-3000:])
            time.sleep(0.05)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = ServeProcess(tmp_path_factory.mktemp("logs"), server={"log_format": "json"})
    server.start()
    found = Served(server)
    yield found
    found.http.close()
    server.stop()


def test_every_line_is_one_json_object(served: Served) -> None:
    served.http.get("/healthz")
    lines = [line for line in served.text().splitlines() if line.startswith("{")]
    assert len(lines) > 3
    for line in lines:
        record = json.loads(line)
        assert record.keys() >= FIELDS, record
    started = [r for r in served.records() if r["message"] == "Application startup complete."]
    assert started and started[0]["level"] == "INFO" and started[0]["request_id"] is None


def test_a_sent_request_id_comes_back_and_marks_the_access_line(served: Served) -> None:
    res = served.http.get(
        f"{API}/appointments/slots?field=HT", headers={"X-Request-Id": "kiosk-7:a.b_c"}
    )
    assert res.status_code == 200
    assert res.headers["x-request-id"] == "kiosk-7:a.b_c"
    (line,) = served.lines_of("kiosk-7:a.b_c")
    assert line["logger"] == "uvicorn.access" and f"GET {API}/appointments/slots" in line["message"]
    assert line["office"] == OFFICE
    assert line["route"] == "/api/v1/offices/{office}/appointments/slots"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 5000


def test_a_request_id_is_made_when_none_or_a_bad_one_is_sent(served: Served) -> None:
    made = served.http.get("/healthz").headers["x-request-id"]
    assert len(made) == 16 and int(made, 16) >= 0
    (line,) = served.lines_of(made)
    assert line["route"] == "/healthz" and line["office"] is None and line["status"] == 200
    for bad in ("x" * 129, "two words", "a;b", ""):
        other = served.http.get("/healthz", headers={"X-Request-Id": bad}).headers["x-request-id"]
        assert other != bad and len(other) == 16 and other != made
    ticket = served.http.post(f"{API}/tickets", json={"field": "HT"}).json()["id"]
    again = served.http.get(f"/api/v1/tickets/{ticket}")
    (line,) = served.lines_of(again.headers["x-request-id"])
    assert line["office"] == OFFICE and line["route"] == "/api/v1/tickets/{id}"


def test_a_requests_own_lines_share_its_id(served: Served) -> None:
    """A board's socket that sends a binary frame: uvicorn's line for the handshake and the
    application's for the frame, both the socket's request's."""
    with connect(
        f"ws://127.0.0.1:{served.server.port}/ws/offices/{OFFICE}",
        additional_headers={"X-Request-Id": "board-socket-1"},
    ) as ws:
        assert ws.response is not None
        assert ws.response.headers["x-request-id"] == "board-socket-1"
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        ws.send(b"\x00\x01")
        lines = served.lines_of("board-socket-1", 3)
    messages = [line["message"] for line in lines]
    assert any("[accepted]" in m for m in messages), messages
    assert any("binary frame" in m for m in messages), messages
    for line in lines:
        assert line["office"] == OFFICE and line["route"] == "/ws/offices/{office}"
    # Another request's lines are its own.
    served.http.get("/healthz", headers={"X-Request-Id": "other-1"})
    assert all("ws/offices" not in r["message"] for r in served.lines_of("other-1"))


def test_no_phone_name_password_or_token_in_the_log(served: Served) -> None:
    served.cli("user", "add", "thu", "--role", "staff", "--office", OFFICE, stdin=PASSWORD + "\n")
    device = served.cli("device", "add", "board-hall", "--kind", "display", "--office", OFFICE)
    assert len(device) >= 16
    for password in ("x" + PASSWORD, PASSWORD):
        login = served.http.post(
            "/api/v1/auth/token", json={"username": "thu", "password": password}
        )
        assert login.status_code == (401 if password != PASSWORD else 200)
    bearer = login.json()["access_token"]
    served.http.post(f"{API}/counters/1/open", headers={"Authorization": f"Bearer {bearer}"})
    page = served.http.post("/login", data={"username": "thu", "password": PASSWORD})
    assert page.status_code in (303, 400, 403)
    days = served.http.get(f"{API}/appointments/slots", params={"field": "HT"}).json()["days"]
    slots = served.http.get(f"{API}/appointments/slots", params={"field": "HT", "day": days[0]})
    start = slots.json()["slots"][0]["start"]
    booked = served.http.post(
        f"{API}/appointments", json={"field": "HT", "start": start, "name": NAME, "phone": PHONE}
    )
    assert booked.status_code in (200, 201), booked.text
    bad = served.http.post(
        f"{API}/appointments", json={"field": "HT", "start": "x", "name": NAME, "phone": PHONE}
    )
    assert bad.status_code == 400
    board = served.http.get(f"/board/{OFFICE}", params={"token": device, "counters": "1"})
    assert board.status_code == 200
    served.http.get(f"/kiosk/{OFFICE}?lang=en&token={bearer}")
    with connect(f"ws://127.0.0.1:{served.server.port}/ws/offices/{OFFICE}?token={device}") as ws:
        ws.recv(timeout=5)
    served.http.get("/healthz", headers={"X-Request-Id": "last-one"})
    served.lines_of("last-one")
    text = served.text()
    assert f"/board/{OFFICE}?token=[redacted]&counters=1" in text
    for secret in (PASSWORD, PHONE, PHONE[:7], NAME, device, bearer):
        assert secret not in text


def test_text_lines_stay_and_lose_their_tokens_too(tmp_path: Path) -> None:
    """Today's text (the default; the option wins over the config), with the same
    redaction and answer header."""
    server = ServeProcess(tmp_path, server={"log_format": "json"})
    server.start("--log-format", "text")
    try:
        secret = "not-a-real-token-5551234"
        res = httpx.get(f"{server.url}/board/{OFFICE}?token={secret}&lang=en")
        assert len(res.headers["x-request-id"]) == 16
        res = httpx.get(f"{server.url}/healthz", headers={"X-Request-Id": "text-1"})
        assert res.headers["x-request-id"] == "text-1"
        deadline = time.monotonic() + 5
        while "GET /healthz" not in server.log.read_text("utf-8"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        server.stop()
    text = server.log.read_text("utf-8")
    assert f"/board/{OFFICE}?token=[redacted]&lang=en" in text
    assert secret not in text
    assert "Application startup complete" in text and not text.lstrip().startswith("{")
    assert not any(line.startswith("{") for line in text.splitlines())
