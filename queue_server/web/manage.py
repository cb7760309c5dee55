"""The manager console `/manage/{office}` and the public guidance pages: the route list.

The pages live in modules by subject; `manage_console` holds what they share (access
checks, the request context, saving a changed office table).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from queue_server.web import (
    guide,
    manage_calendar,
    manage_export,
    manage_floor,
    manage_people,
    manage_pickups,
    manage_settings,
    manage_voice,
)


def routes() -> list[BaseRoute]:
    return [
        *manage_floor.routes(),
        *manage_settings.routes(),
        *manage_people.routes(),
        *manage_pickups.routes(),
        *manage_export.routes(),
        *manage_calendar.routes(),
        *manage_voice.routes(),
        *guide.routes(),
    ]
