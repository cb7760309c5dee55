"""One lock per printer, so jobs and status queries never interleave on the wire.

The blocking calls run in a thread from asyncio (`print_async`, `status_async`), so the
event loop never waits on a printer:

    worker = PrinterWorker(connection_from_url("tcp://192.168.1.50"))
    await worker.print_async(render_document("ticket", payload, options))
"""

from __future__ import annotations

import asyncio
import threading

from printer.connections import Connection
from printer.errors import not_ready_error
from printer.status import PrinterStatus
from printer.status_query import query_status


class PrinterWorker:
    """Serialises use of one `Connection`; each job opens the link, sends, and closes it.

    With `check_status` (the default) a job is sent only after DLE EOT says the printer is
    ready, so a kiosk learns of an empty roll instead of losing the ticket; links that cannot
    read (a plain file) skip the check.
    """

    def __init__(
        self, connection: Connection, check_status: bool = True, status_timeout: float = 2.0
    ) -> None:
        self.connection = connection
        self.check_status = check_status
        self.status_timeout = status_timeout
        self._lock = threading.Lock()

    def print(self, job: bytes) -> PrinterStatus | None:
        """Send one job; return the status read before it (None if not checked).

        Raises `PrinterOffline`, or `PaperOut`/`CoverOpen`/`PrinterFault` before sending.
        """
        with self._lock, self.connection as link:
            status = None
            if self.check_status and link.can_read:
                status = query_status(link, self.status_timeout)
                not_ready = not_ready_error(status)
                if not_ready is not None:
                    raise not_ready
            link.write(job)
            return status

    def status(self) -> PrinterStatus:
        """Query DLE EOT 1..4; raises `PrinterOffline` or `StatusUnsupported`."""
        with self._lock, self.connection as link:
            return query_status(link, self.status_timeout)

    async def print_async(self, job: bytes) -> PrinterStatus | None:
        return await asyncio.to_thread(self.print, job)

    async def status_async(self) -> PrinterStatus:
        return await asyncio.to_thread(self.status)
