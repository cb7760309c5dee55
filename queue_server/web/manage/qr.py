"""`GET /manage/{office}/qr`: one A4 page of QR codes, one per field, leading to the guide.

Offices print it and pin it up by the counters, as centres already do by hand.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response
from starlette.routing import BaseRoute

from queue_server.network import is_loopback
from queue_server.web.http.addresses import public_base
from queue_server.web.kiosk.guide import guide_url, qr_svg
from queue_server.web.manage.console import Console, page


async def qr_page(c: Console) -> Response:
    urls = [(f, guide_url(c.request, c.office, f)) for f in c.office.fields]
    cards = [{"field": f, "url": url, "qr": qr_svg(url)} for f, url in urls]
    # Phones cannot open a QR code pointing at the server's own loopback address.
    local = is_loopback(urlsplit(public_base(c.request)).hostname)
    return c.render("manage_qr.html", "qr", {"cards": cards, "local_url": local})


def routes() -> list[BaseRoute]:
    return [page("/qr", qr_page)]
