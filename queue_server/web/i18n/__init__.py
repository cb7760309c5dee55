"""Interface texts in Vietnamese (default) and English.

The texts are data a translator edits: `vi.toml` and `en.toml` beside this module, one file
per language with the same quoted, dotted keys (`"login.title" = "Đăng nhập"`), grouped by
screen with comments. TOML rather than gettext: Python reads it with the standard library
(`tomllib`), so there is neither a compile step nor a run-time dependency, a key is the same
string the code and templates use, and any text editor shows the file as it is read.

Both files are read once, when this module is imported, and checked then: a key missing in
either language, an empty or untrimmed text, text that is not NFC Unicode, or placeholders
that differ between the languages stop the start with the file and the key. Pages call
`t(key)` in templates; a key the code asks for but the catalogue lacks fails the tests
(`tests/web/test_i18n.py`), not the citizen.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable

from queue_server.errors import Localized, SothutuError, Text

LANGUAGES = ("vi", "en")
KEY = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)*$")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class CatalogueError(ValueError):
    """A catalogue file that cannot be used as written: names the file and the key."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        super().__init__(f"{file}: {key}: {reason}")
        self.file = file
        self.key = key
        self.reason = reason


def _read(path: Traversable) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogueError(str(path), "(file)", f"not valid TOML: {exc}") from exc
    texts: dict[str, str] = {}
    for key, text in data.items():
        if not isinstance(text, str):
            raise CatalogueError(
                str(path), key,
                'not a text; write each key in quotes ("login.title" = "...") so its dots '
                "do not make a table",
            )  # fmt: skip
        if not KEY.match(key):
            raise CatalogueError(str(path), key, "a key is lower-case words joined by dots")
        if not text.strip():
            raise CatalogueError(str(path), key, "the text is empty")
        if text.strip() != text:
            raise CatalogueError(str(path), key, "the text begins or ends with a space")
        if unicodedata.normalize("NFC", text) != text:
            # Composed diacritics, as typed on a Vietnamese keyboard and as screen readers
            # and the board's voice expect.
            raise CatalogueError(str(path), key, "the text is not in composed (NFC) Unicode")
        if "{" in PLACEHOLDER.sub("", text) or "}" in PLACEHOLDER.sub("", text):
            raise CatalogueError(
                str(path), key, "a brace that is not a {placeholder} of lower-case letters"
            )
        texts[key] = text
    return texts


def load(folder: Traversable) -> dict[str, dict[str, str]]:
    """The checked texts of `folder`'s vi.toml and en.toml: language → key → text."""
    texts = {lang: _read(folder / f"{lang}.toml") for lang in LANGUAGES}
    vi, en = texts["vi"], texts["en"]
    for lang, other in (("vi", en), ("en", vi)):
        for key in other.keys() - texts[lang].keys():
            raise CatalogueError(
                str(folder / f"{lang}.toml"), key,
                f"missing (it is in {'en' if lang == 'vi' else 'vi'}.toml)",
            )  # fmt: skip
    for key, text in vi.items():
        if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(en[key])):
            raise CatalogueError(
                str(folder / "en.toml"), key, "its {placeholders} differ from vi.toml's"
            )
    return texts


TEXTS = load(files(__name__))


def translate(key: str, lang: str) -> str:
    return TEXTS["en" if lang == "en" else "vi"][key]


def catalogue(prefix: str, lang: str) -> dict[str, str]:
    """The texts under a prefix, for a page's script (e.g. `counter.`)."""
    texts = TEXTS["en" if lang == "en" else "vi"]
    return {k: v for k, v in texts.items() if k.startswith(prefix)}


def fill(text: Text, lang: str) -> str:
    """A catalogue text with its placeholders filled in: a date as the reader writes one, a
    `Localized` value in the reader's language."""
    values = {
        name: (value.isoformat() if lang == "en" else f"{value:%d/%m/%Y}")
        if isinstance(value, date)
        else (value.en if lang == "en" else value.vi) if isinstance(value, Localized)
        else fill(value, lang) if isinstance(value, Text)
        else value
        for name, value in text.params.items()
    }  # fmt: skip
    return translate(text.text_key, lang).format_map(values)


def say(texts: Sequence[Text], lang: str) -> str:
    """Several catalogue texts as one: sentences follow each other; English clauses without
    a full stop are joined by "; "."""
    out = ""
    for text in texts:
        written = fill(text, lang)
        if out:
            out += " " if lang == "vi" or out.endswith((".", "!", "?")) else "; "
        out += written
    return out


def error_text(error: SothutuError, lang: str) -> str:
    """What an error tells its reader: its catalogue texts with their parameters filled in
    (`say`); an error
    without a key, the text it carries inline."""
    if error.text_key is None:
        return error.text(lang)
    return say(error.texts, lang)
