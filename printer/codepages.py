"""Vietnamese text for printers' own fonts: TCVN-3 (two Epson pages) and Windows-1258.

TCVN-3 is the VN3 set of TCVN 5712:1993 (the "ABC" fonts). Its one byte table holds the 67
lower-case letters and only seven capitals (Ă Â Ê Ô Ơ Ư Đ at 0xA1-0xA7); capitals with a tone
mark exist only in the upper-case font, at the byte of their lower-case letter. Epson prints
the two fonts as two code pages, 30 (lower) and 31 (upper), so an encoder switches page with
`ESC t n` whenever the case of a Vietnamese letter changes. ASCII is the same on both pages.

We keep our own tables instead of python-escpos's: its TCVN-3-2 table lists U+00D0 (Ð, the
Icelandic eth) where the printer has U+0110 (Đ), so "Đ" never encodes. On page 31 the
capitals sit where escpos-printer-db charts them: Ă Â Đ at their VN3 bytes, all others at the
byte of their lower-case letter.

Windows-1258 has the base letters (ă â ê ô ơ ư đ and capitals) and a few precomposed toned
letters (à á è é ì í ò ó ù ú ý and capitals); every other toned letter is a base letter followed
by one of its five combining tone marks (0xCC ̀, 0xEC ́, 0xD2 ̉, 0xDE ̃, 0xF2 ̣).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Literal, Protocol

from printer.errors import UnencodableText

CodePageName = Literal["tcvn3", "cp1258"]
Errors = Literal["strict", "replace"]

ESC_T = b"\x1bt"
# Epson's ESC t numbers; clones differ (Netum/Zjiang: 27 or 94 for CP1258), so per printer.
EPSON_PAGES: dict[CodePageName, tuple[int, ...]] = {"tcvn3": (30, 31), "cp1258": (52,)}

# TCVN 5712:1993 VN3, lower-case letters: the letter, then its byte in hex.
_VN3_LOWER = """
ă A8 â A9 ê AA ô AB ơ AC ư AD đ AE
à B5 ả B6 ã B7 á B8 ạ B9 ằ BB ẳ BC ẵ BD ắ BE ặ C6 ầ C7 ẩ C8 ẫ C9 ấ CA ậ CB
è CC ẻ CE ẽ CF é D0 ẹ D1 ề D2 ể D3 ễ D4 ế D5 ệ D6 ì D7 ỉ D8 ĩ DC í DD ị DE
ò DF ỏ E1 õ E2 ó E3 ọ E4 ồ E5 ổ E6 ỗ E7 ố E8 ộ E9 ờ EA ở EB ỡ EC ớ ED ợ EE
ù EF ủ F1 ũ F2 ú F3 ụ F4 ừ F5 ử F6 ữ F7 ứ F8 ự F9 ỳ FA ỷ FB ỹ FC ý FD ỵ FE
"""
# The seven capitals of the VN3 table itself.
_VN3_CAPITALS = "Ă A1 Â A2 Ê A3 Ô A4 Ơ A5 Ư A6 Đ A7"


def _pairs(text: str) -> dict[str, int]:
    words = text.split()
    return {ch: int(code, 16) for ch, code in zip(words[::2], words[1::2], strict=True)}


VN3_LOWER: dict[str, int] = _pairs(_VN3_LOWER)
VN3_CAPITALS: dict[str, int] = _pairs(_VN3_CAPITALS)
# Epson page 31: capitals at their lower-case byte, except Ă Â Đ at their VN3 capital byte.
TCVN3_UPPER_PAGE: dict[str, int] = {
    **{ch.upper(): code for ch, code in VN3_LOWER.items() if ch not in "ăâđ"},
    **{ch: VN3_CAPITALS[ch] for ch in "ĂÂĐ"},
}
TCVN3_LOWER_PAGE: dict[str, int] = VN3_LOWER

# Typographic characters neither code page needs to have exactly, as ASCII.
_ASCII_FALLBACK = {
    "–": "-",
    "—": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "•": "*",
    "\u00a0": " ",
}
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


class Encoder(Protocol):
    """Turns text into bytes for one printer; may emit ESC t page switches as it goes."""

    name: CodePageName

    def start(self) -> bytes:
        """The command that selects the code page; sent once after ESC @."""
        ...

    def encode(self, text: str) -> bytes: ...


@dataclass
class Tcvn3Encoder:
    """Encodes to Epson's two TCVN-3 pages, switching page at every change of case."""

    lower_page: int = 30
    upper_page: int = 31
    errors: Errors = "replace"
    name: CodePageName = field(default="tcvn3", init=False)
    _page: int | None = field(default=None, init=False)

    def start(self) -> bytes:
        self._page = self.lower_page
        return ESC_T + bytes([self.lower_page])

    def _switch(self, page: int) -> bytes:
        if self._page == page:
            return b""
        self._page = page
        return ESC_T + bytes([page])

    def encode(self, text: str) -> bytes:
        out = bytearray()
        for ch in _prepare(text):
            if ch in TCVN3_LOWER_PAGE:
                out += self._switch(self.lower_page)
                out.append(TCVN3_LOWER_PAGE[ch])
            elif ch in TCVN3_UPPER_PAGE:
                out += self._switch(self.upper_page)
                out.append(TCVN3_UPPER_PAGE[ch])
            else:
                out += _ascii(ch, "tcvn3", self.errors)
        return bytes(out)


@dataclass
class Cp1258Encoder:
    """Encodes to Windows-1258, splitting off the tone mark where no precomposed byte exists."""

    page: int = 52
    errors: Errors = "replace"
    name: CodePageName = field(default="cp1258", init=False)

    def start(self) -> bytes:
        return ESC_T + bytes([self.page])

    def encode(self, text: str) -> bytes:
        out = bytearray()
        for ch in _prepare(text):
            try:
                out += ch.encode("cp1258")
                continue
            except UnicodeEncodeError:
                pass
            decomposed = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in decomposed if c in _TONE_MARKS)
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            try:
                out += (base + tones).encode("cp1258")
            except UnicodeEncodeError:
                out += _ascii(ch, "cp1258", self.errors)
        return bytes(out)


def _prepare(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _ascii(ch: str, codepage: str, errors: Errors) -> bytes:
    if ch.isascii():
        return ch.encode("ascii")
    if ch in _ASCII_FALLBACK:
        return _ASCII_FALLBACK[ch].encode("ascii")
    if errors == "strict":
        raise UnencodableText(ch, codepage)
    return b"?"


def make_encoder(
    name: CodePageName, pages: tuple[int, ...] | None = None, errors: Errors = "replace"
) -> Encoder:
    """The encoder for `name`, with the printer's ESC t numbers (Epson's by default).

    >>> make_encoder("cp1258").encode("Hồ")
    b'H\\xf4\\xcc'
    """
    numbers = pages or EPSON_PAGES[name]
    if name == "tcvn3":
        if len(numbers) != 2:
            raise ValueError("tcvn3 needs two page numbers: lower-case page, upper-case page")
        return Tcvn3Encoder(lower_page=numbers[0], upper_page=numbers[1], errors=errors)
    if name == "cp1258":
        return Cp1258Encoder(page=numbers[0], errors=errors)
    raise ValueError(f"unknown code page {name!r}; use 'tcvn3' or 'cp1258'")


def decode_tcvn3(data: bytes, upper: bool) -> str:
    """Bytes printed on the lower (`upper=False`) or upper TCVN-3 page, back to text."""
    table = TCVN3_UPPER_PAGE if upper else TCVN3_LOWER_PAGE
    reverse = {code: ch for ch, code in table.items()}
    return "".join(reverse.get(b, chr(b) if b < 0x80 else "\ufffd") for b in data)


def decode_cp1258(data: bytes) -> str:
    """Windows-1258 bytes back to (precomposed, NFC) text."""
    return unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))
