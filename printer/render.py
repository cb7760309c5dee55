"""From a print job (kind + JSON data) and a printer's options to the bytes it must receive.

options = PrintOptions.from_dict({"paper_width": 58, "mode": "raster"})
job = render_document("ticket", payload, options)   # bytes, starts with ESC @
await worker.print_async(job)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from printer.codepages import CodePageName, make_encoder
from printer.documents import (
    ApologyPrint,
    SlipPrint,
    TicketPrint,
    apology_layout,
    slip_layout,
    ticket_layout,
)
from printer.errors import InvalidPrintData
from printer.escpos import Cut, raster_job
from printer.layout import Layout, layout_from_json
from printer.raster import render_image
from printer.textmode import text_job

Mode = Literal["raster", "text"]
DOCUMENT_KINDS = ("ticket", "appointment", "result", "apology", "layout")
PAPER_DOTS = {80: 576, 58: 384}


@dataclass(frozen=True)
class PrintOptions:
    """How one printer prints: paper, raster or text mode, code page, cutter.

    `codepage_numbers` overrides Epson's ESC t numbers for clones: two numbers for "tcvn3"
    (lower-case page, upper-case page), one for "cp1258".
    """

    paper_width: int = 80
    mode: Mode = "raster"
    codepage: CodePageName = "tcvn3"
    codepage_numbers: tuple[int, ...] | None = None
    cut: Cut = "partial"

    def __post_init__(self) -> None:
        if self.paper_width not in PAPER_DOTS:
            raise InvalidPrintData("paper_width", "must be 80 or 58 (mm)")
        _choice("mode", self.mode, ("raster", "text"))
        _choice("codepage", self.codepage, ("tcvn3", "cp1258"))
        _choice("cut", self.cut, ("partial", "full", "none"))
        numbers = self.codepage_numbers
        if numbers is not None and (
            len(numbers) != (2 if self.codepage == "tcvn3" else 1)
            or not all(isinstance(n, int) and 0 <= n <= 255 for n in numbers)
        ):
            raise InvalidPrintData("codepage_numbers", "two (tcvn3) or one (cp1258) of 0-255")

    @property
    def dots(self) -> int:
        """Print head width in dots (203 dpi): 576 for 80 mm paper, 384 for 58 mm."""
        return PAPER_DOTS[self.paper_width]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PrintOptions:
        """From a printer's config table, e.g. {"paper_width": 58, "mode": "text"}."""
        if unknown := sorted(set(data) - set(cls.__dataclass_fields__)):
            raise InvalidPrintData(unknown[0], "is not a printer option")
        numbers = data.get("codepage_numbers")
        if numbers is not None and not isinstance(numbers, list | tuple):
            raise InvalidPrintData("codepage_numbers", "must be a list of numbers")
        args = {**data, "codepage_numbers": tuple(numbers) if numbers is not None else None}
        return cls(**args)


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidPrintData(name, f"must be one of {', '.join(allowed)}")


def document_layout(kind: str, data: Mapping[str, Any]) -> Layout:
    """The layout of a job: "ticket", "appointment", "result", "apology", or "layout"
    ({"blocks": [...]})."""
    if kind == "ticket":
        return ticket_layout(TicketPrint.from_dict(data))
    if kind == "appointment":
        return slip_layout(SlipPrint.from_dict("appointment", data))
    if kind == "result":
        return slip_layout(SlipPrint.from_dict("result", data))
    if kind == "apology":
        return apology_layout(ApologyPrint.from_dict(data))
    if kind == "layout":
        blocks = data.get("blocks")
        if not isinstance(blocks, Sequence) or isinstance(blocks, str):
            raise InvalidPrintData("blocks", "must be a list of layout blocks")
        return layout_from_json(blocks)
    raise InvalidPrintData("kind", f"must be one of {', '.join(DOCUMENT_KINDS)}")


def render_layout(layout: Layout, options: PrintOptions) -> bytes:
    """The complete ESC/POS job for `layout`: raster image or text, then the cut."""
    if options.mode == "raster":
        return raster_job(render_image(layout, options.dots), options.cut)
    encoder = make_encoder(options.codepage, options.codepage_numbers)
    return text_job(layout, options.dots, encoder, options.cut)


def render_document(kind: str, data: Mapping[str, Any], options: PrintOptions) -> bytes:
    """The bytes to send to the printer for one print job; raises `InvalidPrintData`."""
    return render_layout(document_layout(kind, data), options)


def preview_image(kind: str, data: Mapping[str, Any], paper_width: int = 80) -> Image.Image:
    """What raster mode prints, as an image (for a preview page or the docs)."""
    return render_image(document_layout(kind, data), PAPER_DOTS[paper_width])
