"""A layout as text-mode commands, printed with the printer's own font and a code page.

Far fewer bytes than a raster image, but only for printers whose firmware has a Vietnamese
code page (see `printer.codepages`). Widths count characters: font A is 12 dots wide
(48 columns on 80 mm, 32 on 58 mm), font B 9 dots (64 and 42).
"""

from __future__ import annotations

import textwrap

from printer.codepages import Encoder
from printer.escpos import ESC, GS, INIT, Cut, cut, qr_code
from printer.layout import (
    QR,
    BigNumber,
    Block,
    Columns,
    Layout,
    Rule,
    Size,
    Spacer,
    Text,
    normalized,
)

LF = b"\n"
_ALIGN = {"left": 0, "center": 1, "right": 2}
# size -> (font B?, magnification)
_SIZE: dict[Size, tuple[bool, int]] = {
    "small": (True, 1),
    "normal": (False, 1),
    "large": (False, 2),
    "xlarge": (False, 3),
}


def columns(width: int, small: bool = False) -> int:
    """Characters per line on a print head `width` dots wide."""
    return width // (9 if small else 12)


def _style(size: Size, bold: bool = False, align: str = "left") -> bytes:
    small, mag = _SIZE[size]
    return (
        ESC + b"a" + bytes([_ALIGN[align]])
        + ESC + b"M" + bytes([1 if small else 0])
        + GS + b"!" + bytes([(mag - 1) << 4 | (mag - 1)])
        + ESC + b"E" + bytes([1 if bold else 0])
    )  # fmt: skip


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, width) or [""]
    return lines


class TextRenderer:
    """Turns one layout into text-mode bytes for one print head width and encoder."""

    def __init__(self, width: int, encoder: Encoder) -> None:
        self.width = width
        self.encoder = encoder

    def _line(self, text: str) -> bytes:
        return self.encoder.encode(text) + LF

    def _text(self, block: Text) -> bytes:
        small, mag = _SIZE[block.size]
        cols = columns(self.width, small) // mag
        out = bytearray(_style(block.size, block.bold, block.align))
        if block.invert:
            out += GS + b"B\x01"
        for line in _wrap(block.text, cols - (2 if block.invert else 0)):
            out += self._line(f" {line} " if block.invert else line)
        if block.invert:
            out += GS + b"B\x00"
        return bytes(out)

    def _big_number(self, block: BigNumber) -> bytes:
        mag = max(1, min(8, columns(self.width) // max(1, len(block.text))))
        style = ESC + b"a\x01" + ESC + b"M\x00" + ESC + b"E\x01"
        size = GS + b"!" + bytes([(mag - 1) << 4 | (mag - 1)])
        return style + size + self._line(block.text)

    def _qr(self, block: QR) -> bytes:
        out = ESC + b"a\x01" + qr_code(block.data, 6 if self.width >= 576 else 5) + LF
        if block.caption:
            out += self._text(Text(block.caption, size="small"))
        return out

    def _columns(self, block: Columns) -> bytes:
        small, mag = _SIZE[block.size]
        cols = columns(self.width, small) // mag
        out = bytearray(_style(block.size))
        pad = cols - len(block.left) - len(block.right)
        if pad >= 1:
            out += self.encoder.encode(block.left + " " * pad)
            return bytes(out + ESC + b"E\x01" + self._line(block.right) + ESC + b"E\x00")
        for line in _wrap(block.left, cols):
            out += self._line(line)
        out += ESC + b"a\x02" + ESC + b"E\x01"
        for line in _wrap(block.right, cols):
            out += self._line(line)
        return bytes(out + ESC + b"E\x00")

    def block(self, block: Block) -> bytes:
        if isinstance(block, Text):
            return self._text(block)
        if isinstance(block, BigNumber):
            return self._big_number(block)
        if isinstance(block, QR):
            return self._qr(block)
        if isinstance(block, Columns):
            return self._columns(block)
        if isinstance(block, Rule):
            cols = columns(self.width)
            return _style("normal") + self._line(
                ("- " * cols)[:cols] if block.dashed else "-" * cols
            )
        if isinstance(block, Spacer):
            return _style("normal") + LF * max(1, round(block.lines))
        raise TypeError(f"not a layout block: {block!r}")


def text_job(layout: Layout, width: int, encoder: Encoder, cut_kind: Cut = "partial") -> bytes:
    """A whole text-mode job: initialise, select the code page, the blocks, cut."""
    renderer = TextRenderer(width, encoder)
    body = b"".join(renderer.block(normalized(block)) for block in layout)
    return INIT + encoder.start() + body + _style("normal") + cut(cut_kind)
