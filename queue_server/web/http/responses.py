"""JSON responses rendered by orjson rather than the standard library's json, which
Starlette's use: the same compact UTF-8 text at a fraction of the cost, and every answer of
the API pays it (docs/BENCHMARKS.md, session 2)."""

from __future__ import annotations

import io
from typing import Any

import orjson
from openpyxl import Workbook
from starlette.responses import JSONResponse as _StarletteJSONResponse
from starlette.responses import Response


class JSONResponse(_StarletteJSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(body: str | bytes, media_type: str, filename: str) -> Response:
    """A file the browser saves as `filename` rather than shows."""
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_attachment(text: str, filename: str) -> Response:
    """A CSV file, with a BOM so that Excel opens the Vietnamese text as UTF-8."""
    return attachment("\ufeff" + text, "text/csv; charset=utf-8", filename)


def workbook_attachment(book: Workbook, filename: str) -> Response:
    """An Excel workbook (openpyxl), saved as `filename`."""
    out = io.BytesIO()
    book.save(out)
    return attachment(out.getvalue(), XLSX, filename)
