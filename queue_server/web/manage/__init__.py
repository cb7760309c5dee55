"""The manager console `/manage/{office}` and the province admin's `/province/offices`: the
route list.

The pages live in modules by subject; `console` holds what they share (access checks, the
request context, saving a changed office table), `forms` the reading of posted forms.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from queue_server.web.manage import (
    calendar,
    export,
    floor,
    offices,
    people,
    pickups,
    qr,
    reports,
    settings,
    voice,
)


def routes() -> list[BaseRoute]:
    return [
        *floor.routes(),
        *settings.routes(),
        *people.routes(),
        *pickups.routes(),
        *export.routes(),
        *calendar.routes(),
        *voice.routes(),
        *qr.routes(),
        *reports.routes(),
        *offices.routes(),
    ]
