"""Server-rendered pages: templates, sessions, CSRF, language, login and logout.

Staff pages use a session cookie (signed, HttpOnly, SameSite=Lax) holding the same opaque
token the API uses, plus a CSRF token. Forms post it as `csrf`; page scripts send it as the
`X-CSRF-Token` header. Screen modules add their own routes beside these.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

import display
from queue_server.errors import Forbidden, Unauthorized
from queue_server.people import Principal
from queue_server.services.auth import require_admin, require_role
from queue_server.web.http.errors import language
from queue_server.web.http.requests import principal
from queue_server.web.i18n import catalogue, error_text, translate

WEB = Path(__file__).parent.parent
TEMPLATE_DIRS = [WEB / "templates", display.TEMPLATES]


def _templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader([str(p) for p in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


templates = _templates()


def csrf_token(conn: HTTPConnection) -> str:
    token: str | None = conn.session.get("csrf")
    if token is None:
        token = secrets.token_urlsafe(24)
        conn.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not secrets.compare_digest(expected, submitted):
        raise Forbidden(text_key="csrf.failed", code="csrf")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A page with the language, its texts and the CSRF token in its context."""
    lang = language(request)
    base = {
        "lang": lang,
        "t": lambda key: translate(key, lang),
        "texts": lambda prefix: catalogue(prefix, lang),
        "csrf": csrf_token(request),
        "other_lang": "en" if lang == "vi" else "vi",
    }
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
    if request.query_params.get("lang") in ("vi", "en"):
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


async def page_admin(request: Request) -> Principal | Response:
    """The logged-in province admin; else a redirect to the login page, or the page that
    says this is not theirs (403)."""
    who = await principal(request)
    try:
        return require_admin(who)
    except Unauthorized:
        return login_redirect(request)
    except Forbidden as exc:
        return forbidden_page(request, exc)


async def page_user(request: Request, role: str, office: str) -> Principal | Response:
    """The logged-in user with at least `role` in `office`; else a redirect to the login
    page, or the page that says this is not theirs (403: another office's, or a role
    above theirs)."""
    who = await principal(request)
    try:
        return require_role(who, role, office)
    except Unauthorized:
        return login_redirect(request)
    except Forbidden as exc:
        return forbidden_page(request, exc)


def login_redirect(request: Request) -> Response:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", 303)


def forbidden_page(request: Request, exc: Forbidden) -> Response:
    """The page a logged-in user meets on a page that is not theirs, saying why."""
    message = error_text(exc, language(request))
    return render(request, "manage_forbidden.html", {"message": message}, exc.status)
