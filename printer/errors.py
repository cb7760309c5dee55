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

`PrinterNotReady` carries the parsed `PrinterStatus`. A job is sent again after the errors
of `RETRYABLE` (nothing was printed), never after the two `ValueError`s (it never will be).
`describe_outcome` and `offline_reason` turn a status or an error into what the server
records, publishes and translates.
"""

from __future__ import annotations

import re

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


def not_ready_error(status: PrinterStatus) -> PrinterNotReady | None:
    """The most specific `PrinterNotReady` for `status`; None when a job sent now would print."""
    if status.ready:
        return None
    if status.paper_out:
        return PaperOut(status)
    if status.cover_open:
        return CoverOpen(status)
    return PrinterFault(status)


# The printer took nothing (the status said not ready, or the link failed before or while
# sending), so the job may be sent again once the printer is back.
RETRYABLE = (PrinterUnavailable, PrinterNotReady, StatusProtocolError)


def describe_outcome(outcome: PrinterStatus | PrinterError) -> tuple[str, list[str], str]:
    """(state, problems, error text) of a status answer or a failed attempt, as the server
    records and publishes them. States: ok, paper_out, cover_open, error, offline."""
    if isinstance(outcome, PrinterStatus):
        not_ready = not_ready_error(outcome)
        if not_ready is None:
            return "ok", outcome.problems, ""
        outcome = not_ready
    if isinstance(outcome, PrinterNotReady):
        state = "paper_out" if isinstance(outcome, PaperOut) else "error"
        state = "cover_open" if isinstance(outcome, CoverOpen) else state
        return state, outcome.status.problems, str(outcome)
    if isinstance(outcome, StatusProtocolError):
        return "error", ["bad_status_answer"], str(outcome)
    return "offline", ["offline"], str(outcome)


# Why a printer cannot print, as a short code a person's language can be looked up by (the
# web layer's catalogue has `printer.reason.<code>`). The recorded error is text: it comes
# from this package's exceptions on the server and, as text, from print agents, so it is
# matched by the words the OS and the drivers put in it. Problems from the status bytes come
# first: a printer that answered "paper out" is out of paper, whatever else failed.
PROBLEM_REASONS = ("paper_out", "cover_open", "cutter_error", "unrecoverable_error",
                   "recoverable_error", "auto_recoverable_error")  # fmt: skip
_ERROR_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (code, re.compile(pattern, re.IGNORECASE))
    for code, pattern in (
        ("connection_refused", r"refused|errno 111\b|winerror 10061"),
        ("timed_out", r"timed out|timeout|errno 110\b"),
        ("no_route", r"no route to host|errno 113\b"),
        ("host_unreachable", r"host (is )?unreachable|host is down|errno 112\b"),
        ("network_unreachable", r"network (is )?unreachable|errno 101\b"),
        (
            "name_unknown",
            r"name or service not known|nodename nor servname|getaddrinfo|"
            r"name resolution",
        ),
        (
            "connection_reset",
            r"reset by peer|broken pipe|connection (was )?(closed|aborted)|"
            r"errno 104\b|errno 32\b",
        ),
        (
            "no_answer",
            r"no status answer|short status answer|not a status byte|"
            r"status bytes",
        ),
        ("no_device", r"no such (usb )?device|no such file|errno 2\b|errno 19\b"),
        ("permission_denied", r"permission denied|access denied|errno 13\b"),
    )
)


REASONS = (*PROBLEM_REASONS, *(code for code, _ in _ERROR_REASONS), "other")


def offline_reason(problems: list[str] | tuple[str, ...], error: str) -> str:
    """The reason code of a printer that cannot print: a status problem, else the kind of
    link error in `error` (e.g. "[Errno 111] Connection refused" -> "connection_refused"),
    else "other".

    >>> offline_reason([], "printer tcp://10.0.0.5:9100 is offline: timed out")
    'timed_out'
    """
    for code in PROBLEM_REASONS:
        if code in problems:
            return code
    for code, pattern in _ERROR_REASONS:
        if pattern.search(error):
            return code
    return "other"
