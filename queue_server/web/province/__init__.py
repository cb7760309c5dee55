"""The province admin's pages `/province/...`: every office live, side by side
(`live`, with its socket `/ws/province`), and the month's report across offices
(`reports`, with its CSV and Excel exports). Office management lives in `manage/offices.py`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from queue_server.web.province import live, reports


def routes() -> list[BaseRoute]:
    return [*live.routes(), *reports.routes()]
