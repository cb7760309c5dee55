"""The text catalogue (web/i18n.py): every key the pages, their scripts or the code use
exists in Vietnamese and in English, and both texts have the same placeholders."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from queue_server.web.i18n import MESSAGES
from tests.conftest import ROOT

WEB, BOARD = ROOT / "queue_server/web", ROOT / "display"
TEMPLATES = [*(WEB / "templates").glob("*.html"), *(BOARD / "templates").glob("*.html")]
SCRIPTS = [*(WEB / "static").glob("*.js"), *(BOARD / "static").glob("*.js")]
CODE = [p for d in ("queue_server", "display", "printer") for p in (ROOT / d).rglob("*.py")]

# t("key") in templates and code, translate("key", ...) in code; T["key"] and T.key in scripts.
CALL = re.compile(r"""\b(?:t|translate)\(\s*["']([a-z0-9_.]+)["']""")
LOOKUP = re.compile(r"""\bT\[\s*["']([a-z0-9_.]+)["']\s*\]|\bT\.([a-z_][a-z0-9_]*)""")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def used(paths: list[Path], pattern: re.Pattern[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in paths:
        for match in pattern.finditer(path.read_text("utf-8")):
            key = next(g for g in match.groups() if g)
            found.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize(
    ("paths", "pattern"), [(TEMPLATES, CALL), (CODE, CALL), (SCRIPTS, LOOKUP)],
    ids=["templates", "code", "scripts"],
)  # fmt: skip
def test_every_key_asked_for_exists(paths: list[Path], pattern: re.Pattern[str]) -> None:
    asked = used(paths, pattern)
    assert len(asked) > 20  # the scan still finds the calls
    # A key ending in "." is completed at run time (t("manage.role." ~ role)): some key
    # must start with it.
    missing = {
        key: sorted(where)
        for key, where in asked.items()
        if key not in MESSAGES
        and not (key.endswith(".") and any(k.startswith(key) for k in MESSAGES))
    }
    assert not missing, missing


def test_both_languages_are_written_out() -> None:
    for key, (vi, en) in MESSAGES.items():
        for text in (vi, en):
            assert text.strip() == text and text, key
            # Proper Unicode: composed diacritics, as typed and as screen readers expect.
            assert unicodedata.normalize("NFC", text) == text, key
        assert sorted(PLACEHOLDER.findall(vi)) == sorted(PLACEHOLDER.findall(en)), key
