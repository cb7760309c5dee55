"""The counter workstation: the staff PC at a counter.

`/counter/{office}` lets a logged-in user choose a counter; `/counter/{office}/{n}` is the
workstation itself, a page whose script acts through the JSON API (session cookie plus
X-CSRF-Token) and follows the office stream. `GET /api/v1/offices/{office}/counters/{n}/today`
counts what the counter did today.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from queue_server.errors import BadRequest, NotFound
from queue_server.office import Office
from queue_server.web.http.errors import language
from queue_server.web.http.requests import path_int, principal
from queue_server.web.http.templates import login_redirect, page_user, render
from queue_server.web.i18n import error_text
from queue_server.web.wiring import services


def _page_texts(office: Office, lang: str) -> dict[str, Any]:
    """Names the page's script shows: fields with their procedures, priorities, counters,
    and the printers a result-pickup slip can be sent to."""
    en = lang == "en"
    return {
        # A list, not a mapping: `tojson` sorts keys, and the dialog follows config order.
        "fields": [
            {
                "code": f.code,
                "prefix": f.prefix,
                "name": f.name_en if en else f.name_vi,
                "target_wait_minutes": f.target_wait_minutes,
                "procedures": [
                    {
                        "code": p.code,
                        "name": p.name_en if en else p.name_vi,
                        "legal_days": p.legal_days,
                        "no_wait": p.no_wait,
                    }
                    for p in f.procedures
                ],
            }
            for f in office.fields
        ],
        "priorities": {p.code: p.name_en if en else p.name_vi for p in office.priorities},
        "counters": [
            {"number": c.number, "name": c.name, "fields": list(c.fields)} for c in office.counters
        ],
        "printers": [p.name for p in office.printers],
    }


def _not_found(request: Request, office: Office | None, exc: NotFound | BadRequest) -> Response:
    return render(
        request,
        "counter_choose.html",
        {"office": office, "counters": [], "error": error_text(exc, language(request))},
        status=404,
    )


async def choose_office(request: Request) -> Response:
    """`/counter`: straight to the chooser of the user's only office, else a list of their
    offices."""
    who = await principal(request)
    if who is None:
        return login_redirect(request)
    offices = [o for o in services(request).queue.offices.all() if who.role_in(o.slug)]
    if len(offices) == 1:
        return RedirectResponse(f"/counter/{offices[0].slug}", 303)
    return render(request, "counter_choose.html", {"office": None, "offices": offices})


async def choose_counter(request: Request) -> Response:
    who = await page_user(request, "staff", request.path_params["office"])
    if isinstance(who, Response):
        return who
    service = services(request).queue
    try:
        office = service.office(request.path_params["office"])
    except NotFound as exc:
        return _not_found(request, None, exc)
    states = await service.counter_states(office)
    lang = language(request)
    rows = [
        {
            "counter": c,
            "state": s,
            "fields": [
                (f.code, f.name_en if lang == "en" else f.name_vi)
                for code in c.fields
                if (f := office.field(code)) is not None
            ],
        }
        for c, s in zip(office.counters, states, strict=True)
    ]
    user = await services(request).auth.display_name(who.name)
    return render(
        request, "counter_choose.html", {"office": office, "counters": rows, "user": user}
    )


async def workstation(request: Request) -> Response:
    who = await page_user(request, "staff", request.path_params["office"])
    if isinstance(who, Response):
        return who
    service = services(request).queue
    office = None
    try:
        office = service.office(request.path_params["office"])
        counter = service.counter(office, path_int(request, "n"))
    except (NotFound, BadRequest) as exc:
        return _not_found(request, office, exc)
    config = {
        "office": office.slug,
        "counter": counter.number,
        "lanes": service.lanes(counter),
        "now": service.clock.now_ms(),
        "heartbeat_s": services(request).config.server.heartbeat_s,
        "interleave": office.interleave,
        "timezone": office.timezone,
        "user": who.name,
        **_page_texts(office, language(request)),
    }
    full_name = await services(request).auth.display_name(who.name)
    return render(
        request,
        "counter.html",
        {"office": office, "counter": counter, "user": who.name, "user_name": full_name,
         "config": config},
    )  # fmt: skip


def routes() -> list[BaseRoute]:
    return [
        Route("/counter", choose_office),
        Route("/counter/{office}", choose_counter),
        Route("/counter/{office}/{n}", workstation),
    ]
