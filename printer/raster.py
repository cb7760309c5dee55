"""Draw a layout into a 1-bit image as wide as the print head (384 or 576 dots).

The bundled DejaVu Sans has every precomposed Vietnamese letter, so the printer needs no
Vietnamese font or code page at all: it only prints dots.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

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

FONT_DIR = Path(__file__).parent / "fonts"
_FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
# Glyphs that reach highest and lowest, so that stacked marks (Ấ, Ỗ) and descenders (ỵ, g)
# never touch the next line.
_PROBE = "ẤẮỖỸÁẢgjpqyỵ"
WHITE = 1
BLACK = 0


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / _FONT_FILES[bold]), size)


@lru_cache(maxsize=64)
def _line_box(size: int, bold: bool) -> tuple[int, int]:
    """(ascent, height) of one line of text in this font, measured on `_PROBE`."""
    top, bottom = font(size, bold).getbbox(_PROBE, anchor="ls")[1::2]
    return -int(top), int(bottom - top)


def font_px(size: Size, width: int) -> int:
    """Pixel size of a text size on a paper `width` dots wide."""
    scale = {"small": 0.042, "normal": 0.05, "large": 0.068, "xlarge": 0.09}[size]
    return max(14, round(width * scale))


def margin(width: int) -> int:
    return width // 48


def wrap(text: str, face: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Split `text` into lines no wider than `max_width`; breaks inside a word only if needed."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if face.getlength(candidate) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for ch in word:
                if face.getlength(line + ch) > max_width and line:
                    lines.append(line)
                    line = ""
                line += ch
        lines.append(line)
    return lines


def _blank(width: int, height: int, color: int = WHITE) -> Image.Image:
    return Image.new("1", (width, max(1, height)), color)


def _x(align: str, width: int, text_width: float) -> int:
    pad = margin(width)
    if align == "left":
        return pad
    if align == "right":
        return width - pad - round(text_width)
    return (width - round(text_width)) // 2


def _text(block: Text, width: int) -> Image.Image:
    px = font_px(block.size, width)
    face = font(px, block.bold)
    ascent, line_h = _line_box(px, block.bold)
    gap = px // 5
    pad = px // 4 if block.invert else 0
    lines = wrap(block.text, face, width - 2 * margin(width) - 2 * pad)
    height = len(lines) * (line_h + gap) + 2 * pad
    image = _blank(width, height, BLACK if block.invert else WHITE)
    draw = ImageDraw.Draw(image)
    ink = WHITE if block.invert else BLACK
    for i, line in enumerate(lines):
        y = pad + i * (line_h + gap) + gap // 2 + ascent
        draw.text((_x(block.align, width, face.getlength(line)), y), line, ink, face, "ls")
    return image


def _big_number(block: BigNumber, width: int) -> Image.Image:
    usable = width - 4 * margin(width)
    px = round(width * 0.34)
    while px > 20:
        face = font(px, True)
        left, top, right, bottom = (int(v) for v in face.getbbox(block.text, anchor="ls"))
        if right - left <= usable:
            break
        px = int(px * min(0.97, usable / (right - left)))
    pad = px // 8
    image = _blank(width, bottom - top + 2 * pad)
    x = (width - (right - left)) // 2 - left
    ImageDraw.Draw(image).text((x, pad - top), block.text, BLACK, face, "ls")
    return image


def _qr(block: QR, width: int) -> Image.Image:
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(block.data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    modules = len(matrix)
    # Quiet zone of 4 modules each side; at least 4 dots (0.5 mm) a module for phone cameras.
    scale = max(4, width // 2 // (modules + 8))
    pixels = bytes(BLACK if dark else 255 for row in matrix for dark in row)
    symbol = Image.frombytes("L", (modules, modules), pixels).convert("1")
    symbol = symbol.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)
    quiet = 4 * scale
    parts = [_blank(width, symbol.height + 2 * quiet)]
    parts[0].paste(symbol, ((width - symbol.width) // 2, quiet))
    if block.caption:
        parts.append(_text(Text(block.caption, size="small"), width))
    return _stack(parts, width)


def _rule(block: Rule, width: int) -> Image.Image:
    thickness = max(2, width // 192)
    pad = width // 48
    image = _blank(width, thickness + 2 * pad)
    draw = ImageDraw.Draw(image)
    left, right = margin(width), width - margin(width)
    step = 12 if block.dashed else right - left
    for x in range(left, right, step):
        end = min(right, x + (7 if block.dashed else step)) - 1
        draw.rectangle((x, pad, end, pad + thickness - 1), BLACK)
    return image


def _columns(block: Columns, width: int) -> Image.Image:
    px = font_px(block.size, width)
    regular, bold = font(px), font(px, True)
    ascent, line_h = _line_box(px, True)
    gap = px // 5
    usable = width - 2 * margin(width)
    left_w, right_w = regular.getlength(block.left), bold.getlength(block.right)
    if left_w + px // 2 + right_w <= usable:
        rows = [(block.left, block.right)]
    else:
        rows = [(line, "") for line in wrap(block.left, regular, usable)]
        rows += [("", line) for line in wrap(block.right, bold, usable)]
    image = _blank(width, len(rows) * (line_h + gap))
    draw = ImageDraw.Draw(image)
    for i, (left, right) in enumerate(rows):
        y = i * (line_h + gap) + gap // 2 + ascent
        draw.text((margin(width), y), left, BLACK, regular, "ls")
        draw.text((_x("right", width, bold.getlength(right)), y), right, BLACK, bold, "ls")
    return image


def _spacer(block: Spacer, width: int) -> Image.Image:
    return _blank(width, round(block.lines * font_px("normal", width)))


def _stack(parts: list[Image.Image], width: int) -> Image.Image:
    image = _blank(width, sum(part.height for part in parts))
    y = 0
    for part in parts:
        image.paste(part, (0, y))
        y += part.height
    return image


def render_block(block: Block, width: int) -> Image.Image:
    if isinstance(block, Text):
        return _text(block, width)
    if isinstance(block, BigNumber):
        return _big_number(block, width)
    if isinstance(block, QR):
        return _qr(block, width)
    if isinstance(block, Rule):
        return _rule(block, width)
    if isinstance(block, Columns):
        return _columns(block, width)
    return _spacer(block, width)


def render_image(layout: Layout, width: int) -> Image.Image:
    """Draw `layout` into a mode "1" image `width` dots wide (a multiple of 8).

    >>> render_image((Text("Số thứ tự"),), 384).size[0]
    384
    """
    if width % 8:
        raise ValueError(f"width must be a multiple of 8 dots, not {width}")
    parts = [render_block(normalized(block), width) for block in layout]
    return _stack(parts, width)
