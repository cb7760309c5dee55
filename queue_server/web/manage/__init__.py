"""The manager console `/manage/{office}` and the public guidance pages: the route list.

The pages live in modules by subject; `manage_console` holds what they share (access
checks, the request context, saving a changed office table).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from queue_server.web.kiosk import guide
from queue_server.web.manage import (
    calendar,
    export,
    floor,
    people,
    pickups,
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
        *guide.routes(),
    ]
