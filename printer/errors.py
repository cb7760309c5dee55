"""Everything the printer package raises.

    PrinterError
    ├── InvalidPrintData (also ValueError)   a job payload or layout that cannot be printed
    ├── UnencodableText (also ValueError)    text mode: a character the code page lacks
    ├── PrinterUnavailable                   the link to the printer failed
    │   ├── PrinterOffline                   unreachable, refused, closed, or no answer
    │   └── StatusUnsupported                this connection kind cannot read status
    ├── StatusProtocolError                  a status answer that is not DLE EOT's
    └── PrinterNotReady                      the printer answered; it cannot print now
        ├── PaperOut
        ├── CoverOpen
        └── PrinterFault                     cutter jam, head error, other error state

`PrinterNotReady` carries the parsed `PrinterStatus`; the print agent retries a job after
`PrinterUnavailable` and `PrinterNotReady`, never after the two `ValueError`s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from printer.status import PrinterStatus


class PrinterError(Exception):
    """Base of every error of the printer package."""


class InvalidPrintData(PrinterError, ValueError):
    """A document payload or layout that cannot be rendered; `field` names the bad key."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnencodableText(PrinterError, ValueError):
    """Text mode only: `char` has no byte in the printer's code page."""

    def __init__(self, char: str, codepage: str) -> None:
        super().__init__(f"{char!r} (U+{ord(char):04X}) cannot be printed with {codepage}")
        self.char = char
        self.codepage = codepage


class PrinterUnavailable(PrinterError):
    """The connection to the printer failed or cannot do what was asked."""


class PrinterOffline(PrinterUnavailable):
    """The printer cannot be reached, refused or dropped the link, or did not answer."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"printer {target} is offline: {reason}")
        self.target = target
        self.reason = reason


class StatusUnsupported(PrinterUnavailable):
    """The connection is write-only (a plain file), so status cannot be queried."""


class StatusProtocolError(PrinterError):
    """The answer to DLE EOT did not have the fixed bits every ESC/POS status byte has."""


class PrinterNotReady(PrinterError):
    """The printer is reachable but reports a state in which it cannot print."""

    def __init__(self, status: PrinterStatus) -> None:
        super().__init__(f"printer not ready: {', '.join(status.problems) or 'offline'}")
        self.status = status


class PaperOut(PrinterNotReady):
    """The paper roll is empty."""


class CoverOpen(PrinterNotReady):
    """The paper cover is open."""


class PrinterFault(PrinterNotReady):
    """An error state: cutter jam, head overheated, unrecoverable error, or offline."""
