"""JSON responses rendered by orjson rather than the standard library's json, which
Starlette's use: the same compact UTF-8 text at a fraction of the cost, and every answer of
the API pays it (docs/BENCHMARKS.md, session 2)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSONResponse


class JSONResponse(_StarletteJSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
