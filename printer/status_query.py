"""Real-time printer status: DLE EOT n (n = 1..4) and what its four answer bytes mean.

Every answer byte has bits 1 and 4 set and bits 0 and 7 clear (mask 0x93 == 0x12); that is
how a status byte is told apart from other data (e.g. an ASB message or garbage).
"""

from __future__ import annotations

from typing import Protocol

from printer.errors import StatusProtocolError
from printer.status import PrinterStatus

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 3, 4)
_FIXED_MASK = 0x93
_FIXED_BITS = 0x12


class StatusChannel(Protocol):
    def write(self, data: bytes) -> None: ...

    def read(self, size: int, timeout: float) -> bytes: ...


def _check(n: int, byte: int) -> int:
    if byte & _FIXED_MASK != _FIXED_BITS:
        raise StatusProtocolError(f"DLE EOT {n} answered 0x{byte:02X}, not a status byte")
    return byte


def parse_status(answers: bytes) -> PrinterStatus:
    """Parse the four answer bytes of DLE EOT 1, 2, 3, 4 (in that order).

    >>> parse_status(bytes([0x12, 0x12, 0x12, 0x72])).paper_out
    True
    """
    if len(answers) != len(QUERIES):
        raise StatusProtocolError(f"expected 4 status bytes, got {len(answers)}")
    printer, offline, error, paper = (_check(n, b) for n, b in zip(QUERIES, answers, strict=True))
    return PrinterStatus(
        offline=bool(printer & 0x08),
        feed_button=bool(printer & 0x40),
        cover_open=bool(offline & 0x04),
        # offline bit 5 "stopped by paper end" and the roll sensor both say paper out.
        paper_out=bool(offline & 0x20) or paper & 0x60 == 0x60,
        recoverable_error=bool(error & 0x04),
        cutter_error=bool(error & 0x08),
        unrecoverable_error=bool(error & 0x20),
        auto_recoverable_error=bool(error & 0x40),
        paper_near_end=paper & 0x0C == 0x0C,
    )


def query_status(channel: StatusChannel, timeout: float = 2.0) -> PrinterStatus:
    """Send DLE EOT 1..4 one at a time over an open channel and parse the answers.

    Raises `PrinterOffline` (from the channel) when an answer does not come within `timeout`.
    """
    answers = bytearray()
    for n in QUERIES:
        channel.write(DLE_EOT + bytes([n]))
        answers += channel.read(1, timeout)
    return parse_status(bytes(answers))
