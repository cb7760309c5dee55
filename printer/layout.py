"""A printed document as data: a list of blocks, top to bottom.

Raster mode draws the blocks into an image (`printer.raster`); text mode turns them into
printer commands (`printer.textmode`). A new kind of slip is a new list of blocks, which can
also come as JSON (`layout_from_json`), not new rendering code.

>>> layout_from_json([{"type": "text", "text": "Phiếu hẹn", "size": "large", "bold": True}])
(Text(text='Phiếu hẹn', size='large', bold=True, align='center', invert=False),)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, TypeAlias

from printer.errors import InvalidPrintData

Size = Literal["small", "normal", "large", "xlarge"]
Align = Literal["left", "center", "right"]
SIZES: tuple[Size, ...] = ("small", "normal", "large", "xlarge")
ALIGNS: tuple[Align, ...] = ("left", "center", "right")


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped at word boundaries; `invert` prints white on black."""

    text: str
    size: Size = "normal"
    bold: bool = False
    align: Align = "center"
    invert: bool = False


@dataclass(frozen=True)
class BigNumber:
    """The ticket number: as large as the paper width allows, bold, centred."""

    text: str


@dataclass(frozen=True)
class QR:
    """A QR code of `data` (a URL), centred; `caption` is printed small below it."""

    data: str
    caption: str = ""


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the paper; `dashed` for a lighter separator."""

    dashed: bool = False


@dataclass(frozen=True)
class Spacer:
    """Blank space, in lines of normal text."""

    lines: float = 1.0


@dataclass(frozen=True)
class Columns:
    """A label on the left and a value on the right (bold); wraps below when too long."""

    left: str
    right: str
    size: Size = "normal"


Block: TypeAlias = Text | BigNumber | QR | Rule | Spacer | Columns
Layout: TypeAlias = tuple[Block, ...]

_TYPES: dict[str, type[Block]] = {
    "text": Text,
    "big_number": BigNumber,
    "qr": QR,
    "rule": Rule,
    "spacer": Spacer,
    "columns": Columns,
}
_NAMES = {cls: name for name, cls in _TYPES.items()}


def _validated(block: Block, where: str) -> Block:
    size = getattr(block, "size", "normal")
    if size not in SIZES:
        raise InvalidPrintData(f"{where}.size", f"must be one of {', '.join(SIZES)}")
    if getattr(block, "align", "center") not in ALIGNS:
        raise InvalidPrintData(f"{where}.align", f"must be one of {', '.join(ALIGNS)}")
    for f in fields(block):
        value = getattr(block, f.name)
        if f.type in ("str", "Size", "Align") and not isinstance(value, str):
            raise InvalidPrintData(f"{where}.{f.name}", "must be a string")
        if f.type == "bool" and not isinstance(value, bool):
            raise InvalidPrintData(f"{where}.{f.name}", "must be true or false")
        if f.type == "float" and not isinstance(value, int | float):
            raise InvalidPrintData(f"{where}.{f.name}", "must be a number")
    return block


def layout_from_json(items: Sequence[Mapping[str, Any]]) -> Layout:
    """Build a layout from JSON objects such as {"type": "rule"}; raise InvalidPrintData."""
    blocks: list[Block] = []
    for i, item in enumerate(items):
        where = f"layout[{i}]"
        if not isinstance(item, Mapping) or item.get("type") not in _TYPES:
            raise InvalidPrintData(f"{where}.type", f"must be one of {', '.join(_TYPES)}")
        cls = _TYPES[item["type"]]
        args = {k: v for k, v in item.items() if k != "type"}
        known = {f.name for f in fields(cls)}
        if unknown := sorted(set(args) - known):
            raise InvalidPrintData(f"{where}.{unknown[0]}", "is not a field of this block")
        try:
            block = cls(**args)
        except TypeError as exc:
            raise InvalidPrintData(where, str(exc)) from exc
        blocks.append(_validated(block, where))
    return tuple(blocks)


def layout_to_json(layout: Layout) -> list[dict[str, Any]]:
    """The inverse of `layout_from_json`."""
    return [{"type": _NAMES[type(block)], **asdict(block)} for block in layout]


def normalized(block: Block) -> Block:
    """`block` with its strings in NFC.

    Decomposed input (as some keyboards type it) would print tone marks beside their letters
    and count twice in text-mode column widths.
    """
    strings = {f.name: getattr(block, f.name) for f in fields(block)}
    changes: dict[str, Any] = {
        k: unicodedata.normalize("NFC", v) for k, v in strings.items() if isinstance(v, str)
    }
    return replace(block, **changes)
