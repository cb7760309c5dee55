"""What a printer says of itself: `PrinterStatus`, the flags of its four status bytes.

A plain value that imports nothing of the package: the errors carry one (`PrinterNotReady`),
and `status_query.py` makes one from a printer's answer.
"""

from __future__ import annotations

from dataclasses import dataclass


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
