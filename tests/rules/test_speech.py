from __future__ import annotations

import string

import pytest

from queue_server.rules.speech import (
    LETTER_NAMES,
    VOCABULARY,
    announcement_text,
    announcement_words,
    clip_name,
    counter_words,
    number_words,
    spoken_text,
)


@pytest.mark.parametrize(
    ("n", "spoken"),
    [
        (0, "không"),
        (1, "một"),
        (4, "bốn"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (19, "mười chín"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (31, "ba mươi mốt"),
        (34, "ba mươi tư"),
        (41, "bốn mươi mốt"),
        (44, "bốn mươi tư"),
        (50, "năm mươi"),
        (51, "năm mươi mốt"),
        (55, "năm mươi lăm"),
        (99, "chín mươi chín"),
        (100, "một trăm"),
        (101, "một trăm linh một"),
        (104, "một trăm linh bốn"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (111, "một trăm mười một"),
        (114, "một trăm mười bốn"),
        (115, "một trăm mười lăm"),
        (121, "một trăm hai mươi mốt"),
        (124, "một trăm hai mươi tư"),
        (205, "hai trăm linh năm"),
        (555, "năm trăm năm mươi lăm"),
        (999, "chín trăm chín mươi chín"),
        (1000, "một nghìn"),
        (1001, "một nghìn không trăm linh một"),
        (1005, "một nghìn không trăm linh năm"),
        (1010, "một nghìn không trăm mười"),
        (1015, "một nghìn không trăm mười lăm"),
        (1021, "một nghìn không trăm hai mươi mốt"),
        (1100, "một nghìn một trăm"),
        (1234, "một nghìn hai trăm ba mươi tư"),
        (2025, "hai nghìn không trăm hai mươi lăm"),
        (10_000, "mười nghìn"),
        (15_000, "mười lăm nghìn"),
        (21_001, "hai mươi mốt nghìn không trăm linh một"),
        (105_105, "một trăm linh năm nghìn một trăm linh năm"),
        (999_999, "chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
    ],
)
def test_number_words(n: int, spoken: str) -> None:
    assert number_words(n) == spoken.split(" ")


@pytest.mark.parametrize("n", [-1, 1_000_000])
def test_number_words_out_of_range(n: int) -> None:
    with pytest.raises(ValueError, match=r"0\.\.999999"):
        number_words(n)


def test_number_words_rejects_non_int() -> None:
    with pytest.raises(TypeError):
        number_words(True)


def test_mot_tu_lam_only_where_vietnamese_says_them() -> None:
    # The variant forms must follow "mươi" (lăm also "mười"); never anywhere else.
    for n in [*range(20_000), *range(20_000, 1_000_000, 37)]:
        words = number_words(n)
        for i, w in enumerate(words):
            before = words[i - 1] if i else ""
            if w in ("mốt", "tư"):
                assert before == "mươi", (n, words)
            if w == "lăm":
                assert before in ("mươi", "mười"), (n, words)
            if before in ("mươi", "mười") and w in ("một", "bốn", "năm"):
                assert (before, w) in (("mười", "một"), ("mười", "bốn")), (n, words)


@pytest.mark.parametrize(
    ("ticket", "counter", "style", "units"),
    [
        (
            "A012",
            3,
            "digits",
            "mời|công dân|có số|A|không|một|hai|đến|quầy|số|ba",
        ),
        ("A012", 3, "number", "mời|công dân|có số|A|mười|hai|đến|quầy|số|ba"),
        ("B105", 12, "number", "mời|công dân|có số|B|một trăm linh năm|đến|quầy|số|mười hai"),
        ("B105", 12, "digits", "mời|công dân|có số|B|một|không|năm|đến|quầy|số|mười hai"),
        ("C021", "21", "number", "mời|công dân|có số|C|hai mươi mốt|đến|quầy|số|hai mươi mốt"),
        ("Đ000", 1, "number", "mời|công dân|có số|Đ|không|đến|quầy|số|một"),
        ("l0024", 4, "number", "mời|công dân|có số|L|hai mươi tư|đến|quầy|số|bốn"),
        ("A7", "3A", "digits", "mời|công dân|có số|A|bảy|đến|quầy|số|ba|A"),
        ("012", 3, "digits", "mời|công dân|có số|không|một|hai|đến|quầy|số|ba"),
    ],
)
def test_announcement_words(ticket: str, counter: int | str, style: str, units: str) -> None:
    # Multi-word parts of the table are number words; phrase units stay whole.
    phrases = {"công dân", "có số"}
    expected: list[str] = []
    for part in units.split("|"):
        expected.extend([part] if part in phrases else part.split(" "))
    assert announcement_words(ticket, counter, style) == expected  # type: ignore[arg-type]


def test_counter_label() -> None:
    assert announcement_words("A1", 2, "digits", "bàn")[-3:] == ["bàn", "số", "hai"]
    with pytest.raises(ValueError, match="counter label"):
        announcement_words("A1", 2, "digits", "ghế")  # type: ignore[arg-type]


@pytest.mark.parametrize("ticket", ["", "A", "A 12", "A-12", "A12B", "Ω12", "A１２"])
@pytest.mark.parametrize("style", ["digits", "number"])
def test_bad_ticket_numbers(ticket: str, style: str) -> None:
    with pytest.raises(ValueError):
        announcement_words(ticket, 1, style)  # type: ignore[arg-type]


@pytest.mark.parametrize("counter", ["", "3-A", "Ω", "１"])
def test_bad_counters(counter: str) -> None:
    with pytest.raises(ValueError):
        counter_words(counter)


@pytest.mark.parametrize(
    ("letter", "name"),
    [
        ("A", "a"),
        ("B", "bê"),
        ("C", "xê"),
        ("D", "dê"),
        ("Đ", "đê"),
        ("E", "e"),
        ("G", "giê"),
        ("H", "hát"),
        ("K", "ca"),
        ("L", "e lờ"),
        ("M", "em mờ"),
        ("N", "en nờ"),
        ("P", "pê"),
        ("Q", "quy"),
        ("R", "e rờ"),
        ("S", "ét sì"),
        ("T", "tê"),
        ("V", "vê"),
        ("X", "ích xì"),
        ("Y", "i dài"),
    ],
)
def test_letter_names(letter: str, name: str) -> None:
    assert spoken_text(letter) == name


def test_announcement_text() -> None:
    assert (
        announcement_text("A012", 3, "digits")
        == "Mời công dân có số a, không một hai, đến quầy số ba."
    )
    assert (
        announcement_text("B021", 14, "number")
        == "Mời công dân có số bê, hai mươi mốt, đến quầy số mười bốn."
    )
    assert (
        announcement_text("a012", 3, "number", for_speech=False)
        == "Mời công dân có số A012 đến quầy số 3"
    )


def test_vocabulary_covers_every_announcement() -> None:
    vocabulary = set(VOCABULARY)
    needed: set[str] = set()
    # Letters and numbers are read independently of each other, so every letter with one
    # number plus every number with one letter covers all letter × number tickets.
    for letter in [*string.ascii_uppercase, "Đ"]:
        needed.update(announcement_words(f"{letter}012", 3, "digits"))
    for n in range(10_000):
        for style in ("digits", "number"):
            needed.update(announcement_words(f"A{n:04d}", n, style))
    for label in ("quầy", "bàn", "phòng"):
        needed.update(announcement_words("A1", 1, "digits", label))
    assert needed - vocabulary == set()
    # And the vocabulary holds nothing an announcement never uses.
    assert vocabulary - needed <= {"Ă", "Â", "Ê", "Ô", "Ơ", "Ư"}


def test_vocabulary_has_no_duplicates() -> None:
    assert len(VOCABULARY) == len(set(VOCABULARY))
    assert set(LETTER_NAMES) <= set(VOCABULARY)


def test_clip_names_unique_and_file_safe() -> None:
    names = [clip_name(u) for u in VOCABULARY]
    assert len(set(names)) == len(names)
    for name in names:
        assert name.isascii() and name.replace("_", "").isalnum() and name.islower()


@pytest.mark.parametrize(
    ("unit", "name"),
    [
        ("mười", "muwowif"),
        ("mươi", "muwowi"),
        ("công dân", "coong_daan"),
        ("một", "mootj"),
        ("mốt", "moots"),
        ("năm", "nawm"),
        ("lăm", "lawm"),
        ("bảy", "bayr"),
        ("nghìn", "nghinf"),
        ("đến", "ddeens"),
        ("A", "letter_a"),
        ("Đ", "letter_dd"),
        ("Ư", "letter_uw"),
    ],
)
def test_clip_name(unit: str, name: str) -> None:
    assert clip_name(unit) == name
