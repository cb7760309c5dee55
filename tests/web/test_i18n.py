"""The text catalogue (web/i18n/vi.toml and en.toml): every key the pages, their scripts or
the code use exists in Vietnamese and in English, both texts are written out and have the
same placeholders, and a file a translator broke is refused with its name and the key."""

from __future__ import annotations

import ast
import fnmatch
import re
import tomllib
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from queue_server.errors import BadRequest, ConfigError, Localized, NotFound, Text
from queue_server.web.i18n import TEXTS, CatalogueError, error_text, load
from tests.conftest import ROOT

WEB, BOARD = ROOT / "queue_server/web", ROOT / "display"
CATALOGUE = WEB / "i18n"
TEMPLATES = [*(WEB / "templates").glob("*.html"), *(BOARD / "templates").glob("*.html")]
SCRIPTS = [*(WEB / "static").glob("*.js"), *(BOARD / "static").glob("*.js")]
CODE = [p for d in ("queue_server", "display", "printer") for p in (ROOT / d).rglob("*.py")]

# t("key") in templates and code, translate("key", ...) in code, texts("prefix.") in
# templates and catalogue("prefix.", ...) in code; T["key"] and T.key in scripts.
CALL = re.compile(r"""\b(?:t|translate|texts|catalogue)\(\s*["']([a-z0-9_.]+)["']""")
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
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_key_asked_for_exists(paths: list[Path], pattern: re.Pattern[str], lang: str) -> None:
    texts = TEXTS[lang]
    asked = used(paths, pattern)
    assert len(asked) > 20  # the scan still finds the calls
    # A key ending in "." is a prefix (texts("kiosk.")) or completed at run time
    # (t("manage.role." ~ role)): some key must start with it.
    missing = {
        key: sorted(where)
        for key, where in asked.items()
        if key not in texts and not (key.endswith(".") and any(k.startswith(key) for k in texts))
    }
    assert not missing, missing


def error_keys() -> list[tuple[str, str, set[str] | None]]:
    """Each `text_key="..."` an error is raised with in the code: where, the key, and the names
    of its `params={...}` (None when they are not a literal the scan can read)."""
    found = []
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            kw = {k.arg: k.value for k in node.keywords if k.arg}
            key = kw.get("text_key")
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            params = kw.get("params")
            names: set[str] | None = set()
            if isinstance(params, ast.Dict):
                names = {str(k.value) for k in params.keys if isinstance(k, ast.Constant)}
            elif params is not None:
                names = None
            found.append((f"{path.relative_to(ROOT)}:{node.lineno}", key.value, names))
    return found


def test_every_error_key_exists_with_its_placeholders() -> None:
    raised = error_keys()
    assert len(raised) > 20  # the scan still finds the errors
    for where, key, names in raised:
        assert key in TEXTS["vi"], f"{where}: {key} is not in the catalogue"
        if names is not None:
            wanted = set(PLACEHOLDER.findall(TEXTS["vi"][key]))
            assert {f"{{{n}}}" for n in names} == wanted, f"{where}: {key} needs {wanted}"


def test_no_error_carries_its_texts_inline() -> None:
    """Services and store name catalogue keys: a `vi=` text would escape the translators and
    the checks above."""
    inline = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in CODE
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Call) and any(k.arg == "vi" for k in node.keywords)
    ]
    assert not inline, inline


def test_every_key_named_in_the_code_exists() -> None:
    """Keys the code chooses from a table (a reason, a script's refusal, a printer reason)
    rather than writes in a `text_key=`."""
    key = re.compile(r"^(?:error|walk_in)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*$")
    named = {
        (f"{path.relative_to(ROOT)}:{node.lineno}", node.value)
        for path in CODE if path.parent.name != "i18n"
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and key.match(node.value)
    }  # fmt: skip
    assert len(named) > 100
    # The head of an f-string (f"error.queue.force_{verb}") is a prefix of some key.
    texts = TEXTS["vi"]
    missing = sorted(
        where for where, k in named
        if k not in texts and not (k.endswith(("_", ".")) and any(t.startswith(k) for t in texts))
    )  # fmt: skip
    assert not missing, missing


def test_an_error_is_written_in_the_readers_language() -> None:
    missing = BadRequest(text_key="error.value.missing", params={"name": "field"})
    assert error_text(missing, "vi") == "Thiếu trường 'field'."
    assert error_text(missing, "en") == "'field' is missing"
    assert missing.message == "error.value.missing name='field'"  # for the log
    first = BadRequest(text_key="error.report.before_first", params={"first": date(2000, 1, 2)})
    assert error_text(first, "vi") == "Báo cáo chỉ tính từ ngày 02/01/2000."
    assert error_text(first, "en") == "reports begin on 2000-01-02"
    # A name the configuration gives in both languages is written in the reader's.
    named = NotFound(
        text_key="error.office.no_field", params={"code": Localized("Hộ tịch", "Civil")}
    )
    assert (error_text(named, "vi"), error_text(named, "en")) == (
        "Không có lĩnh vực 'Hộ tịch'.", "no field of service 'Civil'"
    )  # fmt: skip
    # Several texts: sentences in Vietnamese, clauses in English.
    missing_x = Text(text_key="error.value.missing", params={"name": "x"})
    several = BadRequest(text_key="error.booking.name", more=[missing_x])
    assert error_text(several, "vi") == "Vui lòng nhập họ và tên (2-100 ký tự). Thiếu trường 'x'."
    assert error_text(several, "en") == "enter a name of 2-100 letters; 'x' is missing"
    inline = NotFound("no such thing", vi="Không có.")  # an error with its texts inline
    assert (error_text(inline, "vi"), error_text(inline, "en")) == ("Không có.", "no such thing")
    # A config error's own `key` is the file's, not the catalogue's (the CLI prints it).
    config = ConfigError("c.toml", "offices[0].slug", "is missing")
    assert error_text(config, "en") == "c.toml: offices[0].slug: is missing"


def test_the_web_layer_reads_errors_through_the_catalogue() -> None:
    """`exc.text(lang)` knows only inline texts: on an error with a catalogue key it gives
    the log line. Every edge reads errors with `error_text`."""
    edges = [*(WEB.rglob("*.py")), ROOT / "queue_server/__main__.py"]
    inline = re.compile(r"\b(?:exc|err|error|e)\.text\(")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in edges if path.parent.name != "i18n"
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if inline.search(line)
    ]  # fmt: skip
    assert not found, found


def test_both_files_hold_the_same_keys() -> None:
    """Read as a translator's tools read them, without the module's checks."""
    raw = {lang: tomllib.loads((CATALOGUE / f"{lang}.toml").read_text("utf-8")) for lang in TEXTS}
    assert len(raw["vi"]) > 600
    assert sorted(raw["vi"]) == sorted(raw["en"])
    assert raw == TEXTS


def test_both_languages_are_written_out() -> None:
    for key, vi in TEXTS["vi"].items():
        en = TEXTS["en"][key]
        for text in (vi, en):
            assert isinstance(text, str), key
            assert text.strip() == text and text, key
            # Proper Unicode: composed diacritics, as typed and as screen readers expect.
            assert unicodedata.normalize("NFC", text) == text, key
        assert sorted(PLACEHOLDER.findall(vi)) == sorted(PLACEHOLDER.findall(en)), key


GOOD = {"vi": '"a.b" = "Số {n}"\n"c" = "Quầy"\n', "en": '"a.b" = "Number {n}"\n"c" = "Counter"\n'}
# (what a translator wrote, the file and key the error must name)
BROKEN = {
    "key missing in en": ({"en": '"a.b" = "Number {n}"\n'}, "en.toml", "c"),
    "key missing in vi": ({"vi": '"c" = "Quầy"\n'}, "vi.toml", "a.b"),
    "empty text": ({"en": '"a.b" = "Number {n}"\n"c" = ""\n'}, "en.toml", "c"),
    "blank text": ({"vi": '"a.b" = "Số {n}"\n"c" = "  "\n'}, "vi.toml", "c"),
    "trailing space": ({"vi": '"a.b" = "Số {n} "\n"c" = "Quầy"\n'}, "vi.toml", "a.b"),
    "decomposed diacritics": (
        {"vi": '"a.b" = "So\u0302\u0301 {n}"\n"c" = "Quầy"\n'},
        "vi.toml",
        "a.b",
    ),
    "placeholder lost": ({"en": '"a.b" = "Number"\n"c" = "Counter"\n'}, "en.toml", "a.b"),
    "placeholder renamed": ({"en": '"a.b" = "No. {m}"\n"c" = "Counter"\n'}, "en.toml", "a.b"),
    "stray brace": ({"en": '"a.b" = "Number {n} {"\n"c" = "Counter"\n'}, "en.toml", "a.b"),
    "unquoted dotted key": ({"en": 'a.b = "Number {n}"\n"c" = "Counter"\n'}, "en.toml", "a"),
    "not a text": ({"vi": '"a.b" = "Số {n}"\n"c" = 3\n'}, "vi.toml", "c"),
    "upper-case key": ({"vi": '"a.b" = "Số {n}"\n"C" = "Quầy"\n'}, "vi.toml", "C"),
    "not TOML": ({"vi": '"a.b" = "Số {n}\n'}, "vi.toml", "(file)"),
}


def write(folder: Path, texts: dict[str, str]) -> None:
    for lang, body in {**GOOD, **texts}.items():
        (folder / f"{lang}.toml").write_text(body, "utf-8")


def test_a_sound_catalogue_loads(tmp_path: Path) -> None:
    write(tmp_path, {})
    assert load(tmp_path) == {
        "vi": {"a.b": "Số {n}", "c": "Quầy"}, "en": {"a.b": "Number {n}", "c": "Counter"}
    }  # fmt: skip


@pytest.mark.parametrize(("texts", "file", "key"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_catalogue_is_refused(
    tmp_path: Path, texts: dict[str, str], file: str, key: str
) -> None:
    write(tmp_path, texts)
    with pytest.raises(CatalogueError) as info:
        load(tmp_path)
    assert (info.value.file, info.value.key) == (str(tmp_path / file), key)
    assert str(info.value).startswith(f"{tmp_path / file}: {key}: ")


def test_every_data_file_is_in_the_package() -> None:
    """A non-editable install ships only what package-data names: the catalogue missing
    from it would stop the server at import."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["*"]
    data = [
        p for d in ("queue_server", "display", "printer") for p in (ROOT / d).rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc")
    ]  # fmt: skip
    assert CATALOGUE / "vi.toml" in data
    left_out = [str(p.relative_to(ROOT)) for p in data
                if not any(fnmatch.fnmatch(p.name, pat) for pat in patterns)]  # fmt: skip
    assert not left_out
