"""Command line: preview a document as PNG, query a printer, or print a test document.

python -m printer preview ticket --paper 58 -o ticket.png [--data job.json]
python -m printer status tcp://192.168.1.50:9100
python -m printer test tcp://192.168.1.50:9100 --paper 80 --mode text --codepage cp1258
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from printer.connections import connection_from_url
from printer.errors import PrinterError
from printer.render import DOCUMENT_KINDS, PrintOptions, preview_image, render_document
from printer.samples import SAMPLES
from printer.worker import PrinterWorker


def _data(kind: str, path: str | None) -> dict[str, Any]:
    if path:
        loaded: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        return loaded
    if kind not in SAMPLES:
        raise SystemExit(f"--data is needed for {kind!r}")
    return SAMPLES[kind]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m printer")
    commands = parser.add_subparsers(dest="command", required=True)
    preview = commands.add_parser("preview", help="render a document to PNG")
    preview.add_argument("kind", choices=DOCUMENT_KINDS)
    preview.add_argument("--data", help="job payload as a JSON file (default: a sample)")
    preview.add_argument("--paper", type=int, default=80, choices=(80, 58))
    preview.add_argument("-o", "--output", required=True)
    status = commands.add_parser("status", help="query a printer's status (DLE EOT)")
    status.add_argument("url")
    test = commands.add_parser("test", help="print a sample document")
    test.add_argument("url")
    test.add_argument("kind", nargs="?", default="ticket", choices=sorted(SAMPLES))
    test.add_argument("--paper", type=int, default=80, choices=(80, 58))
    test.add_argument("--mode", default="raster", choices=("raster", "text"))
    test.add_argument("--codepage", default="tcvn3", choices=("tcvn3", "cp1258"))
    args = parser.parse_args(argv)

    try:
        if args.command == "preview":
            preview_image(args.kind, _data(args.kind, args.data), args.paper).save(args.output)
        elif args.command == "status":
            result = PrinterWorker(connection_from_url(args.url)).status()
            print(json.dumps(result.to_dict(), indent=2))
            return 0 if result.ready else 1
        else:
            options = PrintOptions(args.paper, args.mode, args.codepage)
            job = render_document(args.kind, SAMPLES[args.kind], options)
            PrinterWorker(connection_from_url(args.url)).print(job)
    except PrinterError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
