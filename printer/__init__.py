"""ESC/POS printing: tickets and slips rendered to raster images (or text), sent to printers.

The server's entry points:

    options = PrintOptions.from_dict(printer_config)        # paper, mode, code page, cut
    job = render_document("ticket", payload, options)        # bytes; InvalidPrintData if bad
    worker = PrinterWorker(connection_from_url(printer_url)) # one per printer
    await worker.print_async(job)                            # PrinterOffline, PaperOut, ...
    status = await worker.status_async()
"""

from printer.connections import Connection, connection_from_url
from printer.render import PrintOptions, document_layout, preview_image, render_document
from printer.status import PrinterStatus
from printer.worker import PrinterWorker

__all__ = [
    "Connection",
    "PrintOptions",
    "PrinterStatus",
    "PrinterWorker",
    "connection_from_url",
    "document_layout",
    "preview_image",
    "render_document",
]
