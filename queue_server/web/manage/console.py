"""The manager console's core: who may enter, the request context, saving settings.

Every console page goes through `console`: an anonymous visitor is sent to the login page,
a user below the manager role gets a 403 page, and a POST must carry the session's CSRF
token. Settings are changed by editing a deep copy of the office's TOML table and handing it
to the `OfficeRegistry`, which validates it with the config parser, saves it and announces
it on the office's event stream (the audit log, with who made the change).
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from queue_server.errors import BadRequest, Forbidden, PayloadTooLarge
from queue_server.office import Office
from queue_server.people import Principal
from queue_server.services.auth import AuthService, require_role
from queue_server.services.offices import OfficeRegistry
from queue_server.services.queue import QueueService
from queue_server.web.http import templates as pages
from queue_server.web.http.errors import language
from queue_server.web.i18n import translate
from queue_server.web.manage.forms import place_error
from queue_server.web.wiring import services

Handler = Callable[["Console"], Awaitable[Response]]
FORM_LIMIT = 256 * 1024


def utc_offset_label(offset: timedelta) -> str:
    """'UTC+7', 'UTC+5:30', 'UTC-3', 'UTC': how an office's offset is read at a glance."""
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def time_zone_label(office: Office, now_ms: int) -> str:
    """'Asia/Ho_Chi_Minh (UTC+7)', the offset of `now` (a zone with summer time changes it).
    Every console page says it: every time the console shows or takes is this wall clock."""
    now = datetime.fromtimestamp(now_ms / 1000, office.tz)
    return f"{office.timezone} ({utc_offset_label(now.utcoffset() or timedelta())})"


class Console:
    """One console request: the manager, the office as it is now, the submitted form."""

    def __init__(self, request: Request, who: Principal, office: Office, form: FormData | None):
        self.request = request
        self.who = who
        self.office = office
        self.form = form
        self.lang = language(request)

    @property
    def base(self) -> str:
        return f"/manage/{self.office.slug}"

    def t(self, key: str) -> str:
        return translate(key, self.lang)

    def render(
        self, template: str, active: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        notice_key = self.request.query_params.get("saved")
        notice = self.t(f"manage.saved.{notice_key}") if notice_key in NOTICES else None
        queue: QueueService = services(self.request).queue
        base = {"office": self.office, "active": active, "user": self.who.name, "notice": notice,
                "time_zone": time_zone_label(self.office, queue.clock.now_ms()),
                "province_admin": self.who.is_admin}  # fmt: skip
        return pages.render(self.request, template, {**base, **context}, status)

    def done(self, path: str, notice: str = "ok") -> Response:
        """After a successful POST: back to a page, which then says it was saved."""
        return RedirectResponse(f"{self.base}{path}?saved={notice}", 303)

    def raw(self) -> dict[str, Any]:
        """A deep copy of the office's TOML table, to edit and `save`."""
        return copy.deepcopy(dict(self.office.raw))

    async def save(self, table: dict[str, Any], prefix: str, errors: dict[str, str]) -> bool:
        """Validates and saves `table`, in which the form edited the table at the key path
        `prefix` (``office.fields[2]``); on a config error puts its message on the input it
        concerns (see `place_error`) and returns False, with nothing saved."""
        registry: OfficeRegistry = services(self.request).offices
        try:
            self.office = await registry.save_table(self.office.slug, table, self.who.name)
        except BadRequest as exc:
            name, message = place_error(exc, prefix, self.lang)
            errors.setdefault(name, message)
            return False
        # Every process does it again when it reloads the office (web/wiring.py); here too, so
        # the manager's next page and the kiosks' next refresh already see the new sets.
        queue: QueueService = services(self.request).queue
        await queue.follow_office(self.office)
        return True

    async def event(self, etype: str, data: dict[str, Any]) -> str:
        """Appends an audit event (who is added) to the office stream."""
        queue: QueueService = services(self.request).queue
        return await queue.record_event(self.office.slug, etype, {**data, "by": self.who.name})


NOTICES = ("ok", "deleted", "sent", "uploaded", "removed", "cleared", "reprinted")


def console(
    handler: Handler, *, form_limit: int = FORM_LIMIT
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            who = await _manager(request)
        except Forbidden as exc:
            return pages.forbidden_page(request, exc)
        if isinstance(who, Response):
            return who
        queue: QueueService = services(request).queue
        office = queue.office(request.path_params["office"])
        if request.method != "POST":
            return await handler(Console(request, who, office, None))
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > form_limit:
            raise PayloadTooLarge(
                text_key="error.form.too_large", params={"kib": form_limit // 1024}
            )
        # Closing the form removes the temporary files of uploads.
        async with request.form(max_part_size=form_limit) as form:
            pages.check_csrf(request, str(form.get("csrf") or ""))
            return await handler(Console(request, who, office, form))

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


async def _manager(request: Request) -> Principal | Response:
    """The manager, or a redirect to the login page; Forbidden below the manager role."""
    office = request.path_params["office"]
    if request.method != "POST":
        return await pages.page_user(request, "manager", office)
    # A form proves itself with the session's CSRF token in a field (checked once it is
    # read), not with the X-CSRF-Token header of page scripts: read the session directly.
    auth: AuthService = services(request).auth
    found = await auth.authenticate(request.session.get("token"))
    if found is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", 303)
    return require_role(found, "manager", office)


def page(path: str, handler: Handler, post: bool = False, **kw: Any) -> Route:
    methods = ["POST"] if post else ["GET"]
    return Route("/manage/{office}" + path, console(handler, **kw), methods=methods)
