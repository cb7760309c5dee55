"""Decode an ESC/POS byte stream the way a printer would, for assertions in tests.

Only the commands this project sends are known; anything else fails the test, so a stray
byte in a job cannot go unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from printer.codepages import decode_cp1258, decode_tcvn3


@dataclass
class Decoded:
    """What a printer did with a job."""

    inits: int = 0
    bands: list[tuple[int, int, bytes]] = field(default_factory=list)  # (row bytes, rows, data)
    cuts: list[bytes] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)  # every ESC t n, in order
    lines: list[str] = field(default_factory=list)  # text-mode lines, decoded
    qr_data: list[str] = field(default_factory=list)
    bold_lines: list[str] = field(default_factory=list)

    def image(self) -> Image.Image:
        """The raster bands stacked into one image, as the paper would show it."""
        widths = {row_bytes for row_bytes, _, _ in self.bands}
        assert len(widths) == 1, f"raster bands of different widths: {widths}"
        width = widths.pop() * 8
        data = b"".join(data for _, _, data in self.bands)
        height = sum(rows for _, rows, _ in self.bands)
        inverted = bytes(255 - b for b in data)
        return Image.frombytes("1", (width, height), inverted)


_ONE_ARG = {b"\x1ba", b"\x1bE", b"\x1bM", b"\x1d!", b"\x1dB", b"\x1bd"}


def decode(
    stream: bytes, tcvn3_pages: tuple[int, int] = (30, 31), cp1258_page: int = 52
) -> Decoded:
    out = Decoded()
    page: int | None = None
    bold = False
    line = bytearray()
    text = ""

    def flush_bytes() -> None:
        nonlocal text
        if not line:
            return
        if page == tcvn3_pages[0] or page == tcvn3_pages[1]:
            text += decode_tcvn3(bytes(line), upper=page == tcvn3_pages[1])
        elif page == cp1258_page:
            text += decode_cp1258(bytes(line))
        else:
            text += bytes(line).decode("ascii")
        line.clear()

    pos = 0
    while pos < len(stream):
        two, three = stream[pos : pos + 2], stream[pos : pos + 3]
        if two == b"\x1b@":
            out.inits += 1
            pos += 2
        elif three == b"\x1dv0":
            row_bytes = int.from_bytes(stream[pos + 4 : pos + 6], "little")
            rows = int.from_bytes(stream[pos + 6 : pos + 8], "little")
            end = pos + 8 + row_bytes * rows
            assert end <= len(stream), "raster data cut short"
            out.bands.append((row_bytes, rows, stream[pos + 8 : end]))
            pos = end
        elif two == b"\x1dV":
            out.cuts.append(stream[pos + 2 : pos + 4])
            pos += 4
        elif two == b"\x1bt":
            flush_bytes()
            page = stream[pos + 2]
            out.pages.append(page)
            pos += 3
        elif three == b"\x1d(k":
            size = int.from_bytes(stream[pos + 3 : pos + 5], "little")
            body = stream[pos + 5 : pos + 5 + size]
            if body[:3] == b"1P0":
                out.qr_data.append(body[3:].decode("utf-8"))
            pos += 5 + size
        elif two in _ONE_ARG:
            if two == b"\x1bE":
                bold = bool(stream[pos + 2])
            pos += 3
        elif stream[pos] == 0x0A:
            flush_bytes()
            out.lines.append(text)
            if bold:
                out.bold_lines.append(text)
            text = ""
            pos += 1
        elif stream[pos] >= 0x20:
            line.append(stream[pos])
            pos += 1
        else:
            raise AssertionError(f"unknown command at {pos}: {stream[pos : pos + 4]!r}")
    flush_bytes()
    assert not text, f"text after the last line feed was never printed: {text!r}"
    return out
