"""Reading the console's HTML forms: typed values with a message per bad field.

A form is read whole before anything is saved: each reader returns a value (or a harmless
default) and records a message in the page's language against the field's name, so the page
can show every problem next to its input at once. An office value is read with `Form.read`
against its entry in `queue_server.config.bounds`, the bounds the config reader applies too.
The config reader's own errors name a key (``office.fields[2].prefix``); `place_error`
finds the input from that key's bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import FormData

from queue_server.config.bounds import Bound, locate
from queue_server.errors import BadRequest
from queue_server.web.i18n import error_text, translate

# The config parser's reasons are English (for the operator); these patterns turn the usual
# ones into Vietnamese for the manager.
_REASONS_VI: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^is missing$"), "Chưa nhập giá trị."),
    (re.compile(r"^must be at least (\S+), not (\S+)$"), r"Phải từ \1 trở lên (đang là \2)."),
    (re.compile(r"^must be at most (\d+) characters.*$"), r"Tối đa \1 ký tự."),
    (re.compile(r"^must have at most (\d+) entries.*$"), r"Tối đa \1 mục."),
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


def place_error(exc: BadRequest, prefix: str, lang: str) -> tuple[str, str]:
    """(form field, message) for a registry error. `prefix` is the key path of the table the
    form edits (e.g. ``office.fields[2]``). An error inside it lands on the input of the
    value it names (`Bound.form_name`, with the indexes of list entries inside the table:
    ``office.priorities[3].code`` → ``code_3``); any other error lands on the form as a
    whole (field "")."""
    details = exc.details or {}
    key, reason = details.get("key"), details.get("reason")
    if not isinstance(key, str) or not key.startswith("office."):
        return "", error_text(exc, lang)
    text = reason_text(str(reason), lang)
    # "is used twice" names the later of two entries of a list, which may be another entry
    # than the one being edited: it still concerns this form's input of that name.
    sibling = re.fullmatch(r"(.*)\[\d+\]", prefix)
    if sibling:
        same_list = re.match(re.escape(sibling[1]) + r"\[\d+\](?=\.)", key)
        if same_list:
            prefix = same_list[0]
    found = locate(key.removeprefix("office."))
    if key.startswith(prefix + ".") and found:
        bound, at = found
        name = bound.form_name(*at[prefix.count("[") :])
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

    def text(self, name: str, *, required: bool = True, max_len: int | None = 200) -> str:
        value = self.raw(name)
        if required and not value:
            self.fail(name, "manage.err.required")
        elif max_len is not None and len(value) > max_len:
            self.fail(name, "manage.err.too_long", n=max_len)
        return value

    def pattern(self, name: str, regex: re.Pattern[str], message: str) -> str:
        value = self.text(name)
        if value and not regex.match(value):
            self.fail(name, message)
        return value

    def read(self, bound: Bound, *at: int) -> Any:
        """The input of an office value (of the list entries `at`), checked against its
        bound; None, with a message, when it is wrong or left out but needed. A number is
        needed unless the value may be left out; a text unless it has a default."""
        name = bound.form_name(*at)
        if bound.kind == "integer":
            assert bound.lo is not None and bound.hi is not None
            lo, hi = int(bound.lo), int(bound.hi)
            return self.integer(name, lo, hi, required=bound.default is not None)
        if bound.kind == "number":
            return self._number(name, bound)
        if bound.kind == "text":
            value = self.text(name, required=bound.required, max_len=bound.max_len)
            if value and bound.pattern and not bound.pattern.regex.match(value):
                self.fail(name, f"manage.err.{bound.pattern.name}")
            return value
        if bound.kind == "texts":
            return self.lines(name, max_lines=bound.max_items or 50, max_len=bound.max_len or 300)
        if bound.kind == "flag":
            return self.flag(name)
        if bound.kind == "choice":
            value = self.choice(name, [str(c) for c in bound.choices])
            return next((c for c in bound.choices if str(c) == value), None)
        raise TypeError(f"no input reads a {bound.kind} ({bound.key})")

    def _number(self, name: str, bound: Bound) -> float | None:
        value = self.raw(name).replace(",", ".")
        if not value:
            self.fail(name, "manage.err.required")
            return None
        try:
            n = float(value)
        except ValueError:
            self.fail(name, "manage.err.number")
            return None
        if not bound.contains(n):
            key = "manage.err.range_open" if bound.lo_open else "manage.err.range"
            self.fail(name, key, lo=f"{bound.lo:g}", hi=f"{bound.hi:g}")
            return None
        return int(n) if n.is_integer() else n

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

    def flag(self, name: str) -> bool:
        return self.raw(name) in ("1", "on", "true", "yes")

    def choice(self, name: str, options: Iterable[str]) -> str:
        value = self.raw(name)
        if value not in set(options):
            self.fail(name, "manage.err.choice")
        return value

    def many(self, name: str, options: Iterable[str]) -> list[str]:
        """The values of a group of checkboxes, each one of `options`."""
        getlist = getattr(self.data, "getlist", None)
        found = getlist(name) if getlist is not None else self.data.get(name) or []
        values = [v for v in (found if isinstance(found, list) else [found]) if isinstance(v, str)]
        allowed = set(options)
        if any(v not in allowed for v in values):
            self.fail(name, "manage.err.choice")
        self.values[name] = values
        return [v for v in dict.fromkeys(values) if v in allowed]

    def lines(self, name: str, *, max_lines: int = 50, max_len: int = 300) -> list[str]:
        items = [line.strip() for line in self.raw(name).splitlines() if line.strip()]
        if len(items) > max_lines:
            self.fail(name, "manage.err.too_many", n=max_lines)
        for line in items:
            if len(line) > max_len:
                self.fail(name, "manage.err.too_long", n=max_len)
        return items
