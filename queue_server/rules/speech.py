"""What the display board says when a ticket is called. Pure: words in, words out.

Numbers are read by our own rules, not by a speech engine, because engines misread them
(espeak-ng says "năm mươi một" for 51 and mixes up mười/mươi). An announcement is a list of
*units*; each unit is one audio clip (a word, a letter name or a short phrase):

    >>> announcement_words("A012", 3, "digits")
    ['mời', 'công dân', 'có số', 'A', 'không', 'một', 'hai', 'đến', 'quầy', 'số', 'ba']
    >>> announcement_words("A012", 3, "number")
    ['mời', 'công dân', 'có số', 'A', 'mười', 'hai', 'đến', 'quầy', 'số', 'ba']
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, Literal

AnnounceStyle = Literal["digits", "number"]
CounterLabel = Literal["quầy", "bàn", "phòng"]

MAX_NUMBER: Final = 999_999

DIGITS: Final = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

# A letter is its own unit; its clip says the Vietnamese name of the letter. The names are
# the ones used when spelling aloud in Vietnamese (bê, xê, e lờ…); F, J, W and Z, which the
# Vietnamese alphabet lacks, get their usual spoken names.
LETTER_NAMES: Final[dict[str, str]] = {
    "A": "a",
    "Ă": "á",
    "Â": "ớ",
    "B": "bê",
    "C": "xê",
    "D": "dê",
    "Đ": "đê",
    "E": "e",
    "Ê": "ê",
    "F": "ép",
    "G": "giê",
    "H": "hát",
    "I": "i",
    "J": "gi",
    "K": "ca",
    "L": "e lờ",
    "M": "em mờ",
    "N": "en nờ",
    "O": "o",
    "Ô": "ô",
    "Ơ": "ơ",
    "P": "pê",
    "Q": "quy",
    "R": "e rờ",
    "S": "ét sì",
    "T": "tê",
    "U": "u",
    "Ư": "ư",
    "V": "vê",
    "W": "vê kép",
    "X": "ích xì",
    "Y": "i dài",
    "Z": "dét",
}

INVITE: Final = ("mời", "công dân", "có số")
TO: Final = "đến"
NUMBER_WORD: Final = "số"
COUNTER_LABELS: Final[tuple[CounterLabel, ...]] = ("quầy", "bàn", "phòng")
NUMBER_UNITS: Final = ("mốt", "tư", "lăm", "mươi", "mười", "linh", "trăm", "nghìn")

VOCABULARY: Final[tuple[str, ...]] = (
    *INVITE,
    TO,
    *COUNTER_LABELS,
    NUMBER_WORD,
    *DIGITS,
    *NUMBER_UNITS,
    *LETTER_NAMES,
)

_TICKET = re.compile(r"^(?P<prefix>[^\W\d_]*)(?P<digits>[0-9]+)$")
_COUNTER_PART = re.compile(r"[0-9]+|[^\W\d_]")


def _tens(n: int) -> list[str]:
    """10..99. After "mười" the units keep their plain names except 5 (lăm); after "mươi",
    1 is "mốt", 4 is "tư" and 5 is "lăm"."""
    tens, unit = divmod(n, 10)
    words = ["mười"] if tens == 1 else [DIGITS[tens], "mươi"]
    if unit == 0:
        return words
    if unit == 5:
        return [*words, "lăm"]
    if tens >= 2 and unit == 1:
        return [*words, "mốt"]
    if tens >= 2 and unit == 4:
        return [*words, "tư"]
    return [*words, DIGITS[unit]]


def _below_hundred(n: int) -> list[str]:
    return [DIGITS[n]] if n < 10 else _tens(n)


def _hundreds(n: int, *, full: bool) -> list[str]:
    """0..999. `full` reads a block that follows "nghìn": its hundreds are said even when
    zero ("một nghìn không trăm linh năm"). A zero tens digit between hundreds and units
    is "linh", and the unit after it keeps its plain name (linh một, linh năm)."""
    hundreds, rest = divmod(n, 100)
    if hundreds == 0 and not full:
        return _below_hundred(rest)
    words = [DIGITS[hundreds], "trăm"]
    if rest == 0:
        return words
    if rest < 10:
        return [*words, "linh", DIGITS[rest]]
    return [*words, *_tens(rest)]


def number_words(n: int) -> list[str]:
    """The Vietnamese words for 0 ≤ n ≤ 999 999, one clip unit each.

    >>> number_words(21)
    ['hai', 'mươi', 'mốt']
    >>> number_words(1005)
    ['một', 'nghìn', 'không', 'trăm', 'linh', 'năm']
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number_words needs an int, not {type(n).__name__}")
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"number_words reads 0..{MAX_NUMBER}, not {n}")
    thousands, rest = divmod(n, 1000)
    if thousands == 0:
        return _hundreds(rest, full=False)
    words = [*_hundreds(thousands, full=False), "nghìn"]
    if rest == 0:
        return words
    return [*words, *_hundreds(rest, full=True)]


def digit_words(digits: str) -> list[str]:
    """Each digit by its name: "012" → không, một, hai."""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a string of digits: {digits!r}")
    return [DIGITS[int(d)] for d in digits]


def _letter(ch: str) -> str:
    letter = unicodedata.normalize("NFC", ch).upper()
    if letter not in LETTER_NAMES:
        raise ValueError(f"no Vietnamese name for the letter {ch!r}")
    return letter


def ticket_words(ticket_number: str, style: AnnounceStyle) -> list[str]:
    """A ticket number such as "A012": its letter units, then the digits one by one
    ("digits") or the number they make, leading zeros dropped ("number")."""
    m = _TICKET.match(unicodedata.normalize("NFC", ticket_number.strip()))
    if m is None:
        raise ValueError(f"not a ticket number (letters then digits): {ticket_number!r}")
    letters = [_letter(ch) for ch in m["prefix"]]
    digits = m["digits"]
    if style == "digits":
        return [*letters, *digit_words(digits)]
    if style == "number":
        return [*letters, *number_words(int(digits))]
    raise ValueError(f"unknown announce style {style!r}: 'digits' or 'number'")


def counter_words(counter: int | str) -> list[str]:
    """A counter is always read as a number ("số mười hai"); a name such as "3A" is read
    part by part: the number, then the letter."""
    if isinstance(counter, int) and not isinstance(counter, bool):
        return number_words(counter)
    if not isinstance(counter, str):
        raise TypeError(f"a counter is an int or a str, not {type(counter).__name__}")
    text = unicodedata.normalize("NFC", counter.strip())
    parts = _COUNTER_PART.findall(text)
    if not parts or "".join(parts) != text.replace(" ", ""):
        raise ValueError(f"a counter is numbers and letters, not {counter!r}")
    words: list[str] = []
    for part in parts:
        words.extend(number_words(int(part)) if part.isdigit() else [_letter(part)])
    return words


def announcement_words(
    ticket_number: str,
    counter: int | str,
    style: AnnounceStyle,
    counter_label: CounterLabel = "quầy",
) -> list[str]:
    """The clip units of "Mời công dân có số <ticket> đến <quầy> số <counter>"."""
    if counter_label not in COUNTER_LABELS:
        raise ValueError(f"counter label must be one of {COUNTER_LABELS}, not {counter_label!r}")
    return [
        *INVITE,
        *ticket_words(ticket_number, style),
        TO,
        counter_label,
        NUMBER_WORD,
        *counter_words(counter),
    ]


def spoken_text(unit: str) -> str:
    """What a clip says: a letter's name for a letter unit, else the unit itself."""
    return LETTER_NAMES.get(unit, unit)


def announcement_text(
    ticket_number: str,
    counter: int | str,
    style: AnnounceStyle,
    counter_label: CounterLabel = "quầy",
    *,
    for_speech: bool = True,
) -> str:
    """The sentence, with diacritics.

    For a speech engine (`for_speech`, the default) numbers are spelled out by our rules and
    letters by their names, with commas where a caller would pause:
    "Mời công dân có số a, không một hai, đến quầy số ba." For a caption, the ticket and
    counter are written as shown on the board: "Mời công dân có số A012 đến quầy số 3".
    """
    words = announcement_words(ticket_number, counter, style, counter_label)
    if not for_speech:
        number = unicodedata.normalize("NFC", ticket_number.strip()).upper()
        return f"Mời công dân có số {number} đến {counter_label} số {str(counter).strip()}"
    ticket = ticket_words(ticket_number, style)
    letters = [spoken_text(u) for u in ticket if u in LETTER_NAMES]
    numerals = [u for u in ticket if u not in LETTER_NAMES]
    tail = [spoken_text(u) for u in words[len(INVITE) + len(ticket) :]]
    head = " ".join([*INVITE, *letters])
    return f"{head[0].upper()}{head[1:]}, {' '.join(numerals)}, {' '.join(tail)}."


# Telex, the way Vietnamese type on an ASCII keyboard: it keeps every vowel mark and tone,
# so mười (muwowif), mươi (muwowi) and muối (muwowis) get distinct, readable file names.
_TELEX_LETTERS: Final = {
    "ă": "aw",
    "â": "aa",
    "đ": "dd",
    "ê": "ee",
    "ô": "oo",
    "ơ": "ow",
    "ư": "uw",
}
_TELEX_TONES: Final = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}


def _telex_syllable(syllable: str) -> str:
    out: list[str] = []
    tone = ""
    for ch in unicodedata.normalize("NFD", syllable.lower()):
        if ch in _TELEX_TONES:
            tone = _TELEX_TONES[ch]
        elif unicodedata.combining(ch):
            # Breve, circumflex and horn belong to the letter before them: recompose.
            base = unicodedata.normalize("NFC", out.pop() + ch)
            out.append(_TELEX_LETTERS.get(base, base))
        else:
            out.append(_TELEX_LETTERS.get(ch, ch))
    return "".join(out) + tone


def clip_name(unit: str) -> str:
    """The ASCII file stem of a unit's clip: Telex for words ("công dân" → "coong_daan",
    "mười" → "muwowif", "mươi" → "muwowi"), "letter_" + the Telex letter for letters
    ("A" → "letter_a", "Đ" → "letter_dd")."""
    if unit in LETTER_NAMES:
        return "letter_" + _telex_syllable(unit)
    if not unit or unit != unit.strip() or unit.lower() != unit:
        raise ValueError(f"not a clip unit: {unit!r}")
    name = "_".join(_telex_syllable(s) for s in unit.split(" "))
    if not re.fullmatch(r"[a-z]+(_[a-z]+)*", name):
        raise ValueError(f"no ASCII clip name for {unit!r}")
    return name
