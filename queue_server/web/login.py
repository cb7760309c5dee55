"""The login page and logging out: the session every staff page and the console use."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import Unauthorized
from queue_server.services.auth import AuthService
from queue_server.web.http.errors import language
from queue_server.web.http.templates import check_csrf, csrf_token, render
from queue_server.web.i18n import translate
from queue_server.web.wiring import services


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect a login to another site.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


async def login_page(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "login.html", {"next": _safe_next(request.query_params.get("next"))})
    form = await request.form()
    check_csrf(request, str(form.get("csrf") or ""))
    auth: AuthService = services(request).auth
    target = _safe_next(str(form.get("next") or ""))
    try:
        token, who = await auth.login(
            str(form.get("username") or ""), str(form.get("password") or "")
        )
    except Unauthorized:
        return render(
            request, "login.html",
            {"next": target, "error": translate("login.failed", language(request)),
             "username": str(form.get("username") or "")},
            status=401,
        )  # fmt: skip
    request.session.clear()
    request.session["token"] = token
    request.session["user"] = who.name
    csrf_token(request)
    return RedirectResponse(target, 303)


async def logout(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf") or ""))
    request.session.clear()
    return RedirectResponse("/login", 303)


def routes() -> list[BaseRoute]:
    return [
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
