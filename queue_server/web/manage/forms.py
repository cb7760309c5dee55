"""Reading the console's HTML forms: typed values with a message per bad field.

A form is read whole before anything is saved: each reader returns a value (or a harmless
default) and records a message in the page's language against the field's name, so the page
can show every problem next to its input at once. The config parser's own errors (a key path
like ``office.fields[2].prefix``) are mapped onto the same field names by `place_error`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from starlette.datastructures import FormData

from queue_server.errors import BadRequest
from queue_server.web.i18n import error_text, translate

_INDEX = re.compile(r"\[\d+\]")
# The config parser's reasons are English (for the operator); these patterns turn the usual
# ones into Vietnamese for the manager.
_REASONS_VI: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^is missing$"), "Chưa nhập giá trị."),
    (re.compile(r"^must be at least (\S+), not (\S+)$"), r"Phải từ \1 trở lên (đang là \2)."),
    (re.compile(r"^must be at most (\S+), not (\S+)$"), r"Không được lớn hơn \1 (đang là \2)."),
    (re.compile(r"^must be one capital letter, not (.+)$"), r"Phải là một chữ in hoa (\1)."),
    (re.compile(r"^must be 1-8 capital letters or digits.*$"), "Gồm 1–8 chữ in hoa/chữ số."),
    (re.compile(r"^(.+) is used twice$"), r"\1 đã được dùng, hãy chọn giá trị khác."),
    (re.compile(r"^must be greater than first_number \((\d+)\)$"), r"Phải lớn hơn số đầu (\1)."),
    (re.compile(r"^unknown field (\S+);.*$"), r"Không có lĩnh vực \1."),
    (re.compile(r"^must name at least one field$"), "Quầy phải phục vụ ít nhất một lĩnh vực."),
    (re.compile(r"^needs at least one (.+)$"), "Cần có ít nhất một mục."),
    (re.compile(r"^must be greater than (\S+)$"), r"Phải lớn hơn \1."),
)  # fmt: skip


def reason_text(reason: str, lang: str) -> str:
    if lang == "en":
        return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")
    for pattern, vi in _REASONS_VI:
        if pattern.match(reason):
            return pattern.sub(vi, reason)
    return f"Giá trị không hợp lệ: {reason}"


def place_error(
    exc: BadRequest, prefix: str, lang: str, name_of: Callable[[str], str] | None = None
) -> tuple[str, str]:
    """(form field, message) for a registry error. `prefix` is the key path of the table the
    form edits (e.g. ``office.fields[2]``). An error inside it lands on the form field that
    `name_of` gives for the rest of the path (by default its first key without indexes:
    ``fields[0]`` → ``fields``); any other error lands on the form as a whole (field "")."""
    key, sep, reason = exc.message.partition(": ")
    if not sep or not key.startswith("office"):
        return "", error_text(exc, lang)
    text = reason_text(reason, lang)
    # "is used twice" names the later of two entries of a list, which may be another entry
    # than the one being edited: it still concerns this form's input of that name.
    sibling = re.fullmatch(r"(.*)\[\d+\]", prefix)
    if sibling:
        same_list = re.match(re.escape(sibling[1]) + r"\[\d+\](?=\.)", key)
        if same_list:
            prefix = same_list[0]
    if key.startswith(prefix + "."):
        rest = key[len(prefix) + 1 :]
        name = name_of(rest) if name_of else _INDEX.sub("", rest.split(".", 1)[0])
        if name:
            return name, text
    return "", f"{key}: {text}"


class Form:
    """Typed reads of a submitted form; `errors` maps field names to messages."""

    def __init__(self, data: FormData | dict[str, Any], lang: str) -> None:
        self.data = data
        self.lang = lang
        self.errors: dict[str, str] = {}
        self.values: dict[str, Any] = {k: data[k] for k in data}

    def fail(self, name: str, key: str, **params: Any) -> None:
        if name not in self.errors:
            self.errors[name] = translate(key, self.lang).format(**params)

    def raw(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def text(self, name: str, *, required: bool = True, max_len: int = 200) -> str:
        value = self.raw(name)
        if required and not value:
            self.fail(name, "manage.err.required")
        elif len(value) > max_len:
            self.fail(name, "manage.err.too_long", n=max_len)
        return value

    def pattern(self, name: str, regex: re.Pattern[str], message: str) -> str:
        value = self.text(name)
        if value and not regex.match(value):
            self.fail(name, message)
        return value

    def integer(self, name: str, lo: int, hi: int, *, required: bool = True) -> int | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "manage.err.required")
            return None
        try:
            n = int(value)
        except ValueError:
            self.fail(name, "manage.err.integer")
            return None
        if not lo <= n <= hi:
            self.fail(name, "manage.err.range", lo=lo, hi=hi)
            return None
        return n

    def number(self, name: str, lo: float, hi: float) -> float | None:
        value = self.raw(name).replace(",", ".")
        if not value:
            self.fail(name, "manage.err.required")
            return None
        try:
            n = float(value)
        except ValueError:
            self.fail(name, "manage.err.number")
            return None
        if not lo < n <= hi:
            self.fail(name, "manage.err.range_open", lo=f"{lo:g}", hi=f"{hi:g}")
            return None
        return int(n) if n.is_integer() else n

    def flag(self, name: str) -> bool:
        return self.raw(name) in ("1", "on", "true", "yes")

    def choice(self, name: str, options: Iterable[str]) -> str:
        value = self.raw(name)
        if value not in set(options):
            self.fail(name, "manage.err.choice")
        return value

    def lines(self, name: str, *, max_lines: int = 50, max_len: int = 300) -> list[str]:
        items = [line.strip() for line in self.raw(name).splitlines() if line.strip()]
        if len(items) > max_lines:
            self.fail(name, "manage.err.too_many", n=max_lines)
        for line in items:
            if len(line) > max_len:
                self.fail(name, "manage.err.too_long", n=max_len)
        return items
