"""Text mode's code pages: every Vietnamese letter out and back, Đ/đ at the standard bytes."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import escpos
import pytest

from printer.codepages import (
    TCVN3_LOWER_PAGE,
    TCVN3_UPPER_PAGE,
    VN3_CAPITALS,
    make_encoder,
)
from printer.errors import UnencodableText
from tests.printer.escpos_stream import decode

SENTENCE = "Đăng ký khai sinh – Đất đai – Chứng thực"
VOWELS = "aăâeêioôơuưy"
TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
LETTERS = [unicodedata.normalize("NFC", v + t) for v in VOWELS for t in ("", *TONES)] + ["d", "đ"]
ALL_LETTERS = LETTERS + [letter.upper() for letter in LETTERS]


def roundtrip(codepage: str, text: str) -> str:
    encoder = make_encoder(codepage, errors="strict")  # type: ignore[arg-type]
    stream = encoder.start() + encoder.encode(text) + b"\n"
    return decode(stream).lines[0]


def test_letter_list_is_complete() -> None:
    # 12 vowels (y included) x (no tone + 5 tones), d and đ, in both cases; of the
    # lower-case ones 67 are not ASCII, as many as VN3 has lower-case letters.
    assert len(set(ALL_LETTERS)) == 2 * (12 * 6 + 2)
    assert sum(1 for ch in LETTERS if not ch.isascii()) == 67


@pytest.mark.parametrize("codepage", ["tcvn3", "cp1258"])
def test_every_letter_with_every_tone_round_trips(codepage: str) -> None:
    text = " ".join(ALL_LETTERS)
    assert roundtrip(codepage, text) == text


@pytest.mark.parametrize("codepage", ["tcvn3", "cp1258"])
@pytest.mark.parametrize("letter", ALL_LETTERS)
def test_each_letter_alone(codepage: str, letter: str) -> None:
    assert roundtrip(codepage, f"x{letter}x") == f"x{letter}x"


def test_sentence_in_cp1258_is_exact() -> None:
    assert roundtrip("cp1258", SENTENCE) == SENTENCE


def test_sentence_in_tcvn3_has_ascii_dashes() -> None:
    # TCVN-3 has no en dash; it prints as '-', every letter exact.
    assert roundtrip("tcvn3", SENTENCE) == SENTENCE.replace("–", "-")


def test_d_with_stroke_at_standard_code_points() -> None:
    tcvn3 = make_encoder("tcvn3")
    assert tcvn3.start() == b"\x1bt\x1e"  # ESC t 30, lower-case page
    assert tcvn3.encode("đ") == b"\xae"  # TCVN 5712 VN3: đ = 0xAE
    assert tcvn3.encode("Đ") == b"\x1bt\x1f\xa7"  # upper-case page 31, Đ = 0xA7
    assert tcvn3.encode("đ") == b"\x1bt\x1e\xae"  # and back to page 30
    cp1258 = make_encoder("cp1258")
    assert cp1258.start() == b"\x1bt\x34"  # ESC t 52, WPC1258
    assert cp1258.encode("Đđ") == b"\xd0\xf0"  # Windows-1258: Đ = 0xD0, đ = 0xF0
    assert b"\xd0\xf0".decode("cp1258") == "\u0110\u0111"


def test_cp1258_splits_only_tones_without_a_precomposed_byte() -> None:
    cp1258 = make_encoder("cp1258")
    assert cp1258.encode("á") == b"\xe1"  # precomposed in CP1258
    assert cp1258.encode("ấ") == b"\xe2\xec"  # â + combining acute
    assert cp1258.encode("ự") == b"\xfd\xf2"  # ư + combining dot below
    assert cp1258.encode("Ộ") == b"\xd4\xf2"  # Ô + combining dot below
    assert cp1258.encode("ẫ") == b"\xe2\xde"  # â + combining tilde
    assert cp1258.encode("ỷ") == b"y\xd2"  # y + combining hook above


def test_tcvn3_switches_page_only_when_case_changes() -> None:
    tcvn3 = make_encoder("tcvn3")
    tcvn3.start()
    assert tcvn3.encode("ĐẤT đai") == b"\x1bt\x1f\xa7\xcaT \x1bt\x1e\xaeai"


def test_tcvn3_tables_follow_vn3() -> None:
    lower = {ch: code for ch, code in TCVN3_LOWER_PAGE.items()}
    assert len(lower) == 67 and all(ch.islower() for ch in lower)
    assert VN3_CAPITALS == {
        "Ă": 0xA1,
        "Â": 0xA2,
        "Ê": 0xA3,
        "Ô": 0xA4,
        "Ơ": 0xA5,
        "Ư": 0xA6,
        "Đ": 0xA7,
    }
    assert len(set(lower.values())) == 67
    for capital, code in TCVN3_UPPER_PAGE.items():
        assert code in (lower[capital.lower()], VN3_CAPITALS.get(capital))


def _escpos_db_table(name: str) -> dict[int, str]:
    path = Path(escpos.__file__).parent / "capabilities.json"
    rows = json.loads(path.read_text(encoding="utf-8"))["encodings"][name]["data"]
    return {0x80 + i: ch for i, ch in enumerate("".join(rows)) if ch != " "}


def test_our_tcvn3_pages_agree_with_escpos_printer_db_except_its_wrong_d() -> None:
    db_lower, db_upper = _escpos_db_table("TCVN-3-1"), _escpos_db_table("TCVN-3-2")
    assert {ch: code for code, ch in db_lower.items()} == TCVN3_LOWER_PAGE
    # python-escpos lists U+00D0 (Icelandic eth) at 0xA7: that is the bug worked around.
    assert db_upper[0xA7] == "\u00d0"
    fixed = {code: ("\u0110" if ch == "\u00d0" else ch) for code, ch in db_upper.items()}
    assert {ch: code for code, ch in fixed.items()} == TCVN3_UPPER_PAGE


def test_strict_mode_names_the_character() -> None:
    with pytest.raises(UnencodableText, match="U\\+20AC"):
        make_encoder("tcvn3", errors="strict").encode("€")
    assert make_encoder("tcvn3").encode("5€") == b"5?"


def test_clone_page_numbers() -> None:
    assert make_encoder("cp1258", (27,)).start() == b"\x1bt\x1b"
    with pytest.raises(ValueError, match="two page numbers"):
        make_encoder("tcvn3", (30,))
