"""What citizens use in the office and on their phones: the kiosk at the entrance, the
ticket page its QR code opens, the rating tablet and page, and the guidance pages."""

from __future__ import annotations

from starlette.routing import BaseRoute

from queue_server.web.kiosk import guide, rating, screen


def routes() -> list[BaseRoute]:
    return [*screen.routes(), *rating.routes(), *guide.routes()]
