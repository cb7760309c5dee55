"""Links to printers: raw TCP (port 9100), serial, USB, a file or device node, and a Dummy.

Each is a small class with one `write(bytes)` and, where the link can answer, one
`read(size, timeout)`. All block; call them from one thread at a time (`PrinterWorker` does).
A failed link raises `PrinterOffline` with the cause chained; nothing else escapes.

>>> with connection_from_url("tcp://192.168.1.50:9100") as printer:  # doctest: +SKIP
...     printer.write(job)
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from printer.errors import PrinterOffline, PrinterUnavailable, StatusUnsupported
from printer.status_query import DLE_EOT

RAW_PORT = 9100


class Connection(ABC):
    """One printer link. `open` is implied by `write`; `with` closes it again."""

    target: str = "printer"
    can_read: bool = True

    @abstractmethod
    def open(self) -> None:
        """Open the link now (to fail early); a no-op if already open."""

    @abstractmethod
    def close(self) -> None:
        """Close the link; safe to call twice."""

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Send raw ESC/POS bytes."""

    def read(self, size: int, timeout: float) -> bytes:
        """Read exactly `size` bytes (a status answer) or raise `PrinterOffline`."""
        raise StatusUnsupported(f"{self.target} cannot report its status")

    def __enter__(self) -> Connection:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class NetworkConnection(Connection):
    """Raw TCP, as network printers listen on port 9100 ("JetDirect")."""

    def __init__(self, host: str, port: int = RAW_PORT, timeout: float = 5.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.target = f"tcp://{host}:{port}"
        self._sock: socket.socket | None = None

    def open(self) -> None:
        if self._sock is None:
            try:
                self._sock = socket.create_connection((self.host, self.port), self.timeout)
            except OSError as exc:
                raise PrinterOffline(self.target, str(exc) or type(exc).__name__) from exc

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        # Half-close first so the printer gets every byte before the socket goes away.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        sock.close()

    def _fail(self, exc: OSError, what: str) -> PrinterOffline:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        return PrinterOffline(self.target, f"{what}: {exc or type(exc).__name__}")

    def write(self, data: bytes) -> None:
        self.open()
        assert self._sock is not None
        try:
            self._sock.settimeout(self.timeout)
            self._sock.sendall(data)
        except OSError as exc:
            raise self._fail(exc, "sending failed") from exc

    def read(self, size: int, timeout: float) -> bytes:
        self.open()
        assert self._sock is not None
        data = bytearray()
        try:
            self._sock.settimeout(timeout)
            while len(data) < size:
                chunk = self._sock.recv(size - len(data))
                if not chunk:
                    raise self._fail(ConnectionResetError("closed"), "connection closed")
                data += chunk
        except TimeoutError as exc:
            raise self._fail(exc, f"no status answer within {timeout:g} s") from exc
        except OSError as exc:
            raise self._fail(exc, "reading failed") from exc
        return bytes(data)


class SerialConnection(Connection):
    """An RS-232 or USB-serial port (pyserial); `dsrdtr`/`rtscts` for hardware flow control."""

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        timeout: float = 5.0,
        dsrdtr: bool = False,
        rtscts: bool = False,
    ) -> None:
        self.port, self.baudrate, self.timeout = port, baudrate, timeout
        self.dsrdtr, self.rtscts = dsrdtr, rtscts
        self.target = f"serial://{port}"
        self._serial: Any = None

    def open(self) -> None:
        if self._serial is not None:
            return
        import serial  # type: ignore[import-untyped]

        try:
            self._serial = serial.Serial(
                self.port,
                self.baudrate,
                timeout=self.timeout,
                write_timeout=self.timeout,
                dsrdtr=self.dsrdtr,
                rtscts=self.rtscts,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PrinterOffline(self.target, str(exc)) from exc

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            port.flush()
            port.close()

    def write(self, data: bytes) -> None:
        self.open()
        try:
            self._serial.write(data)
        except Exception as exc:  # SerialTimeoutException, SerialException, OSError
            raise PrinterOffline(self.target, f"sending failed: {exc}") from exc

    def read(self, size: int, timeout: float) -> bytes:
        self.open()
        self._serial.timeout = timeout
        try:
            data = bytes(self._serial.read(size))
        except Exception as exc:
            raise PrinterOffline(self.target, f"reading failed: {exc}") from exc
        if len(data) < size:
            raise PrinterOffline(self.target, f"no status answer within {timeout:g} s")
        return data


class UsbConnection(Connection):
    """A USB printer by vendor and product id (pyusb + libusb), bulk endpoints.

    On Linux a USB printer claimed by the kernel's usblp driver is also `/dev/usb/lp0`, which
    `FileConnection(..., readable=True)` drives without libusb.
    """

    def __init__(
        self, vendor_id: int, product_id: int, interface: int = 0, timeout: float = 5.0
    ) -> None:
        self.vendor_id, self.product_id = vendor_id, product_id
        self.interface, self.timeout = interface, timeout
        self.target = f"usb://{vendor_id:04x}:{product_id:04x}"
        self._device: Any = None
        self._out: Any = None
        self._in: Any = None

    def open(self) -> None:
        if self._device is not None:
            return
        import usb.core  # type: ignore[import-untyped]
        import usb.util  # type: ignore[import-untyped]

        try:
            device = usb.core.find(idVendor=self.vendor_id, idProduct=self.product_id)
            if device is None:
                raise PrinterOffline(self.target, "no such USB device connected")
            if device.is_kernel_driver_active(self.interface):
                device.detach_kernel_driver(self.interface)
            if device.get_active_configuration() is None:
                device.set_configuration()
            setting = device.get_active_configuration()[(self.interface, 0)]
            direction = usb.util.endpoint_direction

            def endpoint(wanted: int) -> Any:
                return usb.util.find_descriptor(
                    setting, custom_match=lambda e: direction(e.bEndpointAddress) == wanted
                )

            self._out = endpoint(usb.util.ENDPOINT_OUT)
            self._in = endpoint(usb.util.ENDPOINT_IN)
            if self._out is None:
                raise PrinterOffline(self.target, "the device has no bulk OUT endpoint")
        except usb.core.NoBackendError as exc:
            raise PrinterUnavailable(f"{self.target}: libusb is not installed") from exc
        except usb.core.USBError as exc:
            raise PrinterOffline(self.target, str(exc)) from exc
        self._device = device

    def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            import usb.util

            usb.util.dispose_resources(device)

    def write(self, data: bytes) -> None:
        self.open()
        import usb.core

        try:
            self._out.write(data, round(self.timeout * 1000))
        except usb.core.USBError as exc:
            raise PrinterOffline(self.target, f"sending failed: {exc}") from exc

    def read(self, size: int, timeout: float) -> bytes:
        self.open()
        import usb.core

        if self._in is None:
            raise StatusUnsupported(f"{self.target} has no IN endpoint")
        try:
            data = bytes(self._in.read(size, round(timeout * 1000)))
        except usb.core.USBError as exc:
            raise PrinterOffline(self.target, f"no status answer: {exc}") from exc
        if len(data) < size:
            raise PrinterOffline(self.target, "short status answer")
        return data


class FileConnection(Connection):
    """A device node (/dev/usb/lp0, /dev/ttyS0 already set up) or a file to capture jobs.

    A file is appended to. With `readable=True` the node is opened read-write and status is
    read back (usblp and tty nodes answer; a regular file does not).
    """

    def __init__(self, path: str, readable: bool = False) -> None:
        self.path, self.can_read = path, readable
        self.target = f"file://{path}"
        self._fd: int | None = None

    def open(self) -> None:
        if self._fd is not None:
            return
        flags = (os.O_RDWR if self.can_read else os.O_WRONLY) | os.O_APPEND | os.O_CREAT
        try:
            self._fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise PrinterOffline(self.target, exc.strerror or str(exc)) from exc

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def write(self, data: bytes) -> None:
        self.open()
        assert self._fd is not None
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            raise PrinterOffline(self.target, f"sending failed: {exc.strerror}") from exc

    def read(self, size: int, timeout: float) -> bytes:
        if not self.can_read:
            return super().read(size, timeout)
        self.open()
        assert self._fd is not None
        data = bytearray()
        while len(data) < size:
            ready, _, _ = select.select([self._fd], [], [], timeout)
            chunk = os.read(self._fd, size - len(data)) if ready else b""
            if not chunk:
                raise PrinterOffline(self.target, f"no status answer within {timeout:g} s")
            data += chunk
        return bytes(data)


class DummyConnection(Connection):
    """Collects every byte written in `output`; answers status queries with `status_bytes`.

    `status_bytes` are the answers to DLE EOT 1, 2, 3, 4; 0x12 each means "ready".
    """

    def __init__(self, status_bytes: bytes = b"\x12\x12\x12\x12") -> None:
        self.target = "dummy"
        self.status_bytes = status_bytes
        self.output = bytearray()
        self._answers = bytearray()
        self.opened = self.closed = 0

    def open(self) -> None:
        self.opened += 1

    def close(self) -> None:
        self.closed += 1

    def write(self, data: bytes) -> None:
        self.output += data
        if len(data) == 3 and data[:2] == DLE_EOT and 1 <= data[2] <= 4:
            self._answers.append(self.status_bytes[data[2] - 1])

    def read(self, size: int, timeout: float) -> bytes:
        if len(self._answers) < size:
            raise PrinterOffline(self.target, "no status answer")
        answer, self._answers = bytes(self._answers[:size]), self._answers[size:]
        return answer


def connection_from_url(url: str, timeout: float = 5.0) -> Connection:
    """A connection from a printer's configured address.

    tcp://HOST[:PORT]  serial:///dev/ttyUSB0?baudrate=19200&dsrdtr=1  usb://04b8:0202
    file:///dev/usb/lp0?readable=1  dummy:
    """
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    flag = {"1", "true", "yes"}.__contains__
    if parts.scheme == "tcp" and parts.hostname:
        return NetworkConnection(parts.hostname, parts.port or RAW_PORT, timeout)
    if parts.scheme == "serial" and parts.path:
        return SerialConnection(
            parts.path,
            int(query.get("baudrate", "9600")),
            timeout,
            dsrdtr=flag(query.get("dsrdtr", "")),
            rtscts=flag(query.get("rtscts", "")),
        )
    if parts.scheme == "usb" and parts.netloc.count(":") == 1:
        vendor, product = (int(part, 16) for part in parts.netloc.split(":"))
        return UsbConnection(vendor, product, int(query.get("interface", "0")), timeout)
    if parts.scheme == "file" and parts.path:
        return FileConnection(parts.path, readable=flag(query.get("readable", "")))
    if parts.scheme == "dummy":
        return DummyConnection()
    raise ValueError(f"not a printer address: {url!r} (tcp://, serial://, usb://, file://)")
