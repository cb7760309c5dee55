"""ESC/POS command bytes, and a 1-bit image as a complete raster print job.

Only commands that Epson and the common clones (Xprinter, Rongta, Gprinter) all implement.
"""

from __future__ import annotations

from typing import Literal

from PIL import Image

ESC = b"\x1b"
GS = b"\x1d"
INIT = ESC + b"@"
Cut = Literal["partial", "full", "none"]
# GS V m n, function B: feed to the cutter (plus n dots), then cut. Feeding first matters:
# the cutter sits above the head, so cutting at once would cut through the last lines.
_CUT = {"full": GS + b"VA\x00", "partial": GS + b"VB\x00"}
# ESC/POS dark dot = 1; Pillow's mode "1" packs white = 1, so every byte is inverted.
_INVERT = bytes(255 - b for b in range(256))
BAND_HEIGHT = 128


def feed_lines(n: int) -> bytes:
    """ESC d n: print the buffer and feed n lines."""
    return ESC + b"d" + bytes([n])


def cut(kind: Cut) -> bytes:
    """Feed to the cutter and cut; for "none", feed the last lines past the tear bar."""
    return _CUT[kind] if kind != "none" else feed_lines(4)


def raster(image: Image.Image, band_height: int = BAND_HEIGHT) -> bytes:
    """GS v 0 commands for a mode "1" image, one command per band of rows.

    Bands keep each command within the receive buffer of small printers.
    """
    if image.mode != "1":
        raise ValueError(f"raster needs a mode '1' image, not {image.mode!r}")
    width, height = image.size
    if width % 8:
        raise ValueError(f"image width must be a multiple of 8 dots, not {width}")
    row_bytes = width // 8
    data = image.tobytes().translate(_INVERT)
    out = bytearray()
    for top in range(0, height, band_height):
        rows = min(band_height, height - top)
        header = GS + b"v0\x00" + row_bytes.to_bytes(2, "little") + rows.to_bytes(2, "little")
        out += header + data[top * row_bytes : (top + rows) * row_bytes]
    return bytes(out)


def raster_job(image: Image.Image, cut_kind: Cut = "partial") -> bytes:
    """A whole job: initialise, the image, then cut."""
    return INIT + raster(image) + cut(cut_kind)


def qr_code(data: str, module: int = 6) -> bytes:
    """GS ( k: the printer draws a model 2 QR code of `data` (error correction M)."""
    payload = data.encode("utf-8")
    store = len(payload) + 3
    fn = GS + b"(k"
    return (
        fn + b"\x04\x001A2\x00"  # model 2
        + fn + b"\x03\x001C" + bytes([module])  # module size in dots
        + fn + b"\x03\x001E1"  # error correction level M
        + fn + store.to_bytes(2, "little") + b"1P0" + payload
        + fn + b"\x03\x001Q0"  # print the stored symbol
    )  # fmt: skip
