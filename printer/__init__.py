"""ESC/POS printing: tickets and slips rendered to raster images (or text), sent to printers.

The server's entry points:

    options = PrintOptions.from_dict(printer_config)        # paper, mode, code page, cut
    job = render_document("ticket", payload, options)        # bytes; InvalidPrintData if bad
    worker = PrinterWorker(connection_from_url(printer_url)) # one per printer
    await worker.print_async(job)                            # PrinterOffline, PaperOut, ...
    status = await worker.status_async()
    state, problems, error = describe_outcome(status)        # as the server records it

The server imports this package only from here (a contract in pyproject.toml keeps it so);
its modules are free to change behind these names.
"""

from printer.connections import Connection, connection_from_url
from printer.documents import format_clock
from printer.errors import (
    REASONS,
    RETRYABLE,
    InvalidPrintData,
    PrinterError,
    StatusUnsupported,
    UnencodableText,
    describe_outcome,
    offline_reason,
)
from printer.layout import layout_to_json
from printer.render import (
    DOCUMENT_KINDS,
    PrintOptions,
    document_layout,
    preview_image,
    render_document,
)
from printer.status import PrinterStatus
from printer.worker import PrinterWorker

__all__ = [
    "DOCUMENT_KINDS",
    "REASONS",
    "RETRYABLE",
    "Connection",
    "InvalidPrintData",
    "PrintOptions",
    "PrinterError",
    "PrinterStatus",
    "PrinterWorker",
    "StatusUnsupported",
    "UnencodableText",
    "connection_from_url",
    "describe_outcome",
    "document_layout",
    "format_clock",
    "layout_to_json",
    "offline_reason",
    "preview_image",
    "render_document",
]
