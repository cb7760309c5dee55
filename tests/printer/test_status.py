"""Printer status over DLE EOT, against the fake network printer and the Dummy."""

from __future__ import annotations

import socket

import pytest

from printer.connections import DummyConnection, NetworkConnection, connection_from_url
from printer.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterFault,
    PrinterOffline,
    StatusProtocolError,
    StatusUnsupported,
    describe_outcome,
    not_ready_error,
)
from printer.status import PrinterStatus
from printer.status_query import parse_status
from printer.worker import PrinterWorker
from tests.printer.fakeprinter import FakePrinter

JOB = b"\x1b@hello\n\x1dVB\x00"


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("12 12 12 12", PrinterStatus()),
        ("12 12 12 1E", PrinterStatus(paper_near_end=True)),
        ("12 12 12 72", PrinterStatus(paper_out=True)),
        ("1A 32 12 72", PrinterStatus(offline=True, paper_out=True)),
        ("1A 16 12 12", PrinterStatus(offline=True, cover_open=True)),
        ("1A 52 1A 12", PrinterStatus(offline=True, cutter_error=True)),
        ("1A 52 32 12", PrinterStatus(offline=True, unrecoverable_error=True)),
        ("1A 52 52 12", PrinterStatus(offline=True, auto_recoverable_error=True)),
        ("1A 52 16 12", PrinterStatus(offline=True, recoverable_error=True)),
        ("52 12 12 12", PrinterStatus(feed_button=True)),
    ],
)
def test_parse_status(answers: str, expected: PrinterStatus) -> None:
    assert parse_status(bytes.fromhex(answers)) == expected


def test_status_flags_say_whether_a_job_would_print() -> None:
    assert PrinterStatus(paper_near_end=True).ready
    assert PrinterStatus(paper_near_end=True).problems == ["paper_near_end"]
    assert not PrinterStatus(offline=True, auto_recoverable_error=True).ready
    assert PrinterStatus(paper_out=True).to_dict()["ready"] is False


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (PrinterStatus(paper_near_end=True), None),
        (PrinterStatus(offline=True, paper_out=True, cover_open=True), PaperOut),
        (PrinterStatus(offline=True, cover_open=True), CoverOpen),
        (PrinterStatus(offline=True, cutter_error=True), PrinterFault),
        (PrinterStatus(offline=True), PrinterFault),
    ],
)
def test_the_most_specific_error_of_a_status(
    status: PrinterStatus, error: type[PrinterError] | None
) -> None:
    found = not_ready_error(status)
    assert type(found) is error if error else found is None
    assert found is None or found.status is status


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (PrinterStatus(paper_near_end=True), ("ok", ["paper_near_end"], "")),
        (
            PrinterStatus(offline=True, paper_out=True),
            ("paper_out", ["paper_out", "offline"], "printer not ready: paper_out, offline"),
        ),
        (
            PrinterStatus(offline=True, cover_open=True),
            ("cover_open", ["cover_open", "offline"], "printer not ready: cover_open, offline"),
        ),
        (PrinterStatus(offline=True), ("error", ["offline"], "printer not ready: offline")),
        (
            StatusProtocolError("DLE EOT 1 answered 0x00, not a status byte"),
            ("error", ["bad_status_answer"], "DLE EOT 1 answered 0x00, not a status byte"),
        ),
        (
            PrinterOffline("tcp://10.0.0.5:9100", "timed out"),
            ("offline", ["offline"], "printer tcp://10.0.0.5:9100 is offline: timed out"),
        ),
    ],
)
def test_an_outcome_as_the_server_records_it(
    outcome: PrinterStatus | PrinterError, expected: tuple[str, list[str], str]
) -> None:
    assert describe_outcome(outcome) == expected


@pytest.mark.parametrize("answers", ["00 12 12 12", "12 12 12 FF", "12 12 12"])
def test_bytes_that_are_not_status_are_rejected(answers: str) -> None:
    with pytest.raises(StatusProtocolError):
        parse_status(bytes.fromhex(answers))


def test_network_status_online(fake_printer: FakePrinter) -> None:
    assert PrinterWorker(connection_from_url(fake_printer.url)).status().ready


@pytest.mark.parametrize(("state", "error"), [("paper_out", PaperOut), ("cover_open", CoverOpen)])
def test_job_is_held_back_when_printer_is_not_ready(
    fake_printer: FakePrinter, state: str, error: type[Exception]
) -> None:
    fake_printer.state = state  # type: ignore[assignment]
    worker = PrinterWorker(connection_from_url(fake_printer.url))

    with pytest.raises(error) as info:
        worker.print(JOB)

    assert not info.value.status.ready  # type: ignore[attr-defined]
    fake_printer.wait_idle()
    assert fake_printer.received == b""  # nothing printed, the job can be retried


def test_paper_near_end_still_prints(fake_printer: FakePrinter) -> None:
    fake_printer.state = "near_end"
    status = PrinterWorker(connection_from_url(fake_printer.url)).print(JOB)
    assert status is not None and status.paper_near_end
    fake_printer.wait_idle()
    assert fake_printer.received == JOB


def test_printer_that_drops_the_connection_is_offline(fake_printer: FakePrinter) -> None:
    fake_printer.state = "offline"
    with pytest.raises(PrinterOffline, match="is offline"):
        PrinterWorker(connection_from_url(fake_printer.url)).print(JOB)


def test_printer_that_never_answers_is_offline(fake_printer: FakePrinter) -> None:
    fake_printer.state = "silent"
    worker = PrinterWorker(connection_from_url(fake_printer.url), status_timeout=0.2)
    with pytest.raises(PrinterOffline, match=r"no status answer within 0\.2 s"):
        worker.status()


def test_unreachable_printer_is_offline() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(PrinterOffline, match=f"tcp://127.0.0.1:{port} is offline") as info:
            NetworkConnection("127.0.0.1", port, timeout=1).write(JOB)
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


def test_printer_back_online_after_failure(fake_printer: FakePrinter) -> None:
    worker = PrinterWorker(connection_from_url(fake_printer.url))
    fake_printer.state = "offline"
    with pytest.raises(PrinterOffline):
        worker.print(JOB)
    fake_printer.state = "online"
    worker.print(JOB)
    fake_printer.wait_idle()
    assert fake_printer.received == JOB


async def test_jobs_from_many_tasks_never_interleave(fake_printer: FakePrinter) -> None:
    import asyncio

    worker = PrinterWorker(connection_from_url(fake_printer.url))
    jobs = [b"\x1b@" + bytes([0x41 + i]) * 20000 + b"\x1dVB\x00" for i in range(6)]
    await asyncio.gather(*(worker.print_async(job) for job in jobs))
    fake_printer.wait_idle()
    assert sorted(fake_printer.connections) == sorted(jobs)


def test_dummy_collects_bytes_and_answers_status() -> None:
    dummy = DummyConnection(status_bytes=bytes.fromhex("12 12 12 72"))
    with pytest.raises(PaperOut):
        PrinterWorker(dummy).print(JOB)
    dummy.status_bytes = bytes.fromhex("12 12 12 12")
    PrinterWorker(dummy).print(JOB)
    assert dummy.output.endswith(JOB)
    assert dummy.opened == dummy.closed == 2


def test_write_only_file_skips_status_check(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "jobs.bin"
    worker = PrinterWorker(connection_from_url(f"file://{path}"))
    assert worker.print(JOB) is None
    assert worker.print(JOB) is None
    assert path.read_bytes() == JOB * 2
    with pytest.raises(StatusUnsupported):
        worker.status()
