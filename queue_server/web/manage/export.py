"""Exporting the configuration as a manager changed it: `config.toml` to start from."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from queue_server.services.offices import OfficeRegistry
from queue_server.web.manage.console import Console, page
from queue_server.web.wiring import services


async def export_page(c: Console) -> Response:
    return c.render("manage_export.html", "export", {})


async def config_toml(c: Console) -> Response:
    """The whole configuration (every office as it is now); the server starts from it with
    the same behaviour."""
    registry: OfficeRegistry = services(c.request).offices
    return Response(
        registry.export_toml(),
        media_type="application/toml; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="config.toml"',
            "Cache-Control": "no-store",
        },
    )


def routes() -> list[BaseRoute]:
    return [page("/export", export_page), page("/config.toml", config_toml)]
