"""Real-time printer status: DLE EOT n (n = 1..4) and what its four answer bytes mean.

Every answer byte has bits 1 and 4 set and bits 0 and 7 clear (mask 0x93 == 0x12); that is
how a status byte is told apart from other data (e.g. an ASB message or garbage).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from printer.errors import (
    CoverOpen,
    PaperOut,
    PrinterFault,
    StatusProtocolError,
)

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 3, 4)
_FIXED_MASK = 0x93
_FIXED_BITS = 0x12


class StatusChannel(Protocol):
    def write(self, data: bytes) -> None: ...

    def read(self, size: int, timeout: float) -> bytes: ...


@dataclass(frozen=True)
class PrinterStatus:
    """The printer's state, parsed from the answers to DLE EOT 1, 2, 3 and 4."""

    offline: bool = False
    cover_open: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    feed_button: bool = False
    cutter_error: bool = False
    unrecoverable_error: bool = False
    recoverable_error: bool = False
    auto_recoverable_error: bool = False

    @property
    def error(self) -> bool:
        return self.cutter_error or self.unrecoverable_error or self.recoverable_error

    @property
    def ready(self) -> bool:
        """True when a job sent now would print (paper near end still prints)."""
        return not (self.offline or self.cover_open or self.paper_out or self.error)

    @property
    def problems(self) -> list[str]:
        """Short English names of what is wrong, most important first; [] when ready."""
        names = [
            ("paper_out", self.paper_out),
            ("cover_open", self.cover_open),
            ("cutter_error", self.cutter_error),
            ("unrecoverable_error", self.unrecoverable_error),
            ("recoverable_error", self.recoverable_error),
            ("auto_recoverable_error", self.auto_recoverable_error),
            ("offline", self.offline),
            ("paper_near_end", self.paper_near_end),
        ]
        return [name for name, on in names if on]

    def to_dict(self) -> dict[str, bool]:
        """The flags plus `ready` and `error`, for a JSON answer or an event."""
        flags = {name: bool(getattr(self, name)) for name in self.__dataclass_fields__}
        return {**flags, "ready": self.ready, "error": self.error}

    def raise_if_not_ready(self) -> None:
        """Raise the most specific `PrinterNotReady` when the printer cannot print now."""
        if self.ready:
            return
        if self.paper_out:
            raise PaperOut(self)
        if self.cover_open:
            raise CoverOpen(self)
        raise PrinterFault(self)


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
