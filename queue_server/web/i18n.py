"""Interface texts in Vietnamese (default) and English.

A small catalogue kept in code rather than gettext files: the interface has a few hundred
short strings, every page is server-rendered, and there is no build step to compile
catalogues. Pages call `t(key)` in templates; a missing key fails the tests
(`tests/web/test_i18n.py`), not the citizen.
"""

from __future__ import annotations

LANGUAGES = ("vi", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (Vietnamese, English)
    "app.name": ("Hệ thống xếp hàng tự động", "Queue management"),
    "lang.switch": ("English", "Tiếng Việt"),
    "login.title": ("Đăng nhập", "Log in"),
    "login.username": ("Tên đăng nhập", "User name"),
    "login.password": ("Mật khẩu", "Password"),
    "login.submit": ("Đăng nhập", "Log in"),
    "login.failed": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password."),
    "logout": ("Đăng xuất", "Log out"),
    "csrf.failed": (
        "Phiên làm việc đã hết hạn. Vui lòng tải lại trang và thử lại.",
        "Your session expired. Reload the page and try again.",
    ),
    "offline": ("Mất kết nối", "Offline"),
    "counter": ("Quầy", "Counter"),
    "number": ("Số", "Number"),
    "minutes": ("phút", "min"),
}


def translate(key: str, lang: str) -> str:
    vi, en = MESSAGES[key]
    return en if lang == "en" else vi


def catalogue(prefix: str, lang: str) -> dict[str, str]:
    """The texts under a prefix, for a page's script (e.g. `counter.`)."""
    return {k: translate(k, lang) for k in MESSAGES if k.startswith(prefix)}
