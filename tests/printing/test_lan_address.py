"""The QR code on a printed ticket when the server serves the office network (listening on
every interface, no server.public_url): it leads to an address a phone can open."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from queue_server.config import Config
from queue_server.network import lan_address
from tests.printer.fakeprinter import FakePrinter
from tests.printing.conftest import OFFICE, FixedPortServer, free_port, jobs_printed, until

TICKETS = f"/api/v1/offices/{OFFICE}/tickets"


async def test_printed_ticket_qr_leads_to_the_lan_address_and_port_the_server_listens_on(
    r: Any, print_config: Config, fake_printer: FakePrinter
) -> None:
    lan = lan_address()
    assert lan, "this test needs a network interface besides loopback"
    port = free_port()
    # As `serve --lan --port N` runs it.
    server_cfg = dataclasses.replace(print_config.server, host="0.0.0.0", port=port)
    cfg = dataclasses.replace(print_config, server=server_cfg)
    server = FixedPortServer(cfg, port, host="0.0.0.0")
    server.start()
    tickets = []
    try:
        # A kiosk browser on the server's own machine knows it as localhost; a kiosk
        # elsewhere on the network by its LAN address. Either way a phone gets the LAN one.
        for base in (
            f"http://127.0.0.1:{port}",
            f"http://localhost:{port}",
            f"http://{lan}:{port}",
        ):
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                res = await client.post(TICKETS, json={"field": "HT", "printer": "quay-1"})
                assert res.status_code == 201, res.text
                tickets.append(res.json())
        await until(lambda: len(jobs_printed(fake_printer)) == 3, what="three tickets")
    finally:
        server.stop()
    assert jobs_printed(fake_printer) == [f"http://{lan}:{port}/t/{t['id']}" for t in tickets]
