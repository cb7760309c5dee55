"""Connection kinds other than the network: serial (on a pseudo-terminal), files, URLs."""

from __future__ import annotations

import os
import select
import threading
import tty
from pathlib import Path

import pytest

from printer.connections import (
    DummyConnection,
    FileConnection,
    NetworkConnection,
    SerialConnection,
    UsbConnection,
    connection_from_url,
)
from printer.errors import PrinterOffline
from printer.worker import PrinterWorker

JOB = b"\x1b@serial job\n\x1dVB\x00"


def test_serial_port_prints_and_answers_status() -> None:
    """A printer on the far side of a pty: answers DLE EOT like a TM printer, records the rest."""
    controller, device = os.openpty()
    tty.setraw(controller)
    received = bytearray()

    def printer() -> None:
        while len(received) < len(JOB):
            data = os.read(controller, 4096)
            if data.startswith(b"\x10\x04"):
                os.write(controller, b"\x12")
                continue
            received.extend(data)

    thread = threading.Thread(target=printer, daemon=True)
    thread.start()
    try:
        worker = PrinterWorker(SerialConnection(os.ttyname(device), 19200, timeout=2))
        status = worker.print(JOB)
        thread.join(5)
    finally:
        os.close(device)
        os.close(controller)
    assert status is not None and status.ready
    assert bytes(received) == JOB


def test_missing_serial_port_is_offline(tmp_path: Path) -> None:
    with pytest.raises(PrinterOffline, match="serial://"):
        SerialConnection(str(tmp_path / "ttyUSB9")).write(JOB)


def test_device_node_that_answers_status(tmp_path: Path) -> None:
    controller, device = os.openpty()
    tty.setraw(device)
    tty.setraw(controller)
    os.write(controller, b"\x12\x12\x12\x12")  # the answers wait in the line's buffer
    try:
        connection = FileConnection(os.ttyname(device), readable=True)
        assert PrinterWorker(connection).print(JOB) is not None
        # The status queries and the job may come out of the line in separate reads.
        received = b""
        while not received.endswith(JOB) and select.select([controller], [], [], 2)[0]:
            received += os.read(controller, 4096)
        assert received.endswith(JOB)
    finally:
        os.close(device)
        os.close(controller)


def test_unwritable_path_is_offline(tmp_path: Path) -> None:
    with pytest.raises(PrinterOffline, match="No such file"):
        FileConnection(str(tmp_path / "no" / "lp0")).write(JOB)


@pytest.mark.parametrize(
    ("url", "kind", "target"),
    [
        ("tcp://10.0.0.5", NetworkConnection, "tcp://10.0.0.5:9100"),
        ("tcp://printer.local:9101", NetworkConnection, "tcp://printer.local:9101"),
        (
            "serial:///dev/ttyUSB0?baudrate=19200&dsrdtr=1",
            SerialConnection,
            "serial:///dev/ttyUSB0",
        ),
        ("usb://04b8:0202", UsbConnection, "usb://04b8:0202"),
        ("file:///dev/usb/lp0?readable=1", FileConnection, "file:///dev/usb/lp0"),
        ("dummy:", DummyConnection, "dummy"),
    ],
)
def test_connection_from_url(url: str, kind: type, target: str) -> None:
    connection = connection_from_url(url)
    assert isinstance(connection, kind)
    assert connection.target == target


def test_connection_url_options() -> None:
    serial = connection_from_url("serial:///dev/ttyUSB0?baudrate=19200&dsrdtr=1")
    assert isinstance(serial, SerialConnection)
    assert (serial.baudrate, serial.dsrdtr, serial.rtscts) == (19200, True, False)
    usb = connection_from_url("usb://04b8:0e15")
    assert isinstance(usb, UsbConnection)
    assert (usb.vendor_id, usb.product_id) == (0x04B8, 0x0E15)
    device = connection_from_url("file:///dev/usb/lp0?readable=1")
    assert device.can_read
    assert not connection_from_url("file:///tmp/x.bin").can_read


@pytest.mark.parametrize("url", ["http://printer", "tcp://", "usb://04b8", "lp0"])
def test_bad_printer_address(url: str) -> None:
    with pytest.raises(ValueError, match="not a printer address"):
        connection_from_url(url)
