"""The TV board's routes: the page, and the voice clips it plays.

    GET /board/{office}                 the board (?counters=1,2 for a subset, ?voice=, ?token=)
    GET /board/{office}/layout          its counters and names now (after a manager's change)
    GET /voice/{office}/say             the clip URLs of one announcement
    GET /voice/{office}/manifest.json   every clip of the office's voice, with its URL
    GET /voice/{office}/{clip}.wav      one clip: the office's recording, else the default

The Vietnamese rules that turn "A012 at counter 3" into words live only in
`queue_server.rules.speech`; the board asks `say` for each call instead of repeating them
in JavaScript. Clips are looked up in `data/voice/{office}/` (this office's recordings),
then `data/voice/override/` (recordings shared by every office), then the default set that
espeak-ng builds at start.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from display.voice import (
    CHIME,
    UNITS,
    clip_file,
    default_dir,
    read_manifest,
)
from queue_server.errors import BadRequest, NotFound, Unavailable
from queue_server.office import Office
from queue_server.rules.speech import (
    VOCABULARY,
    AnnounceStyle,
    announcement_text,
    announcement_words,
    clip_name,
)
from queue_server.services.queue import QueueService
from queue_server.web.http.errors import language
from queue_server.web.http.requests import path_office
from queue_server.web.http.templates import render
from queue_server.web.i18n import translate
from queue_server.web.wiring import services

log = logging.getLogger("sothutu.board")


STYLES: Final = ("digits", "number")
VOICES: Final = ("clips", "browser", "off")
RECENT_CALLS: Final = 8


def _data_dir(request: Request) -> Path:
    data: Path = services(request).config.server.data_dir
    return data


def clip_url(data_dir: Path, office: str, stem: str) -> str:
    """The clip's URL, versioned by the file's modification time: a replaced recording gets
    a new URL, so a running board fetches it at its next call instead of its cached copy."""
    path, _ = clip_file(data_dir, office, stem)
    url = f"/voice/{office}/{stem}.wav"
    if path is None:
        return url
    return f"{url}?v={path.stat().st_mtime_ns:x}"


def _counter_subset(office: Office, raw: str | None) -> list[int]:
    """The counters a board shows: all of the office's, or those listed in ?counters=."""
    known = [c.number for c in office.counters]
    if raw is None or not raw.strip():
        return known
    chosen: list[int] = []
    for part in raw.split(","):
        part = part.strip()
        if not part.isdigit() or len(part) > 4:
            raise BadRequest(text_key="error.board.counters", params={"raw": raw})
        number = int(part)
        if number not in known:
            params = {"office": office.name, "number": number}
            raise NotFound(text_key="error.board.no_counter", params=params)
        if number not in chosen:
            chosen.append(number)
    return chosen


def _subset(raw: str | None) -> list[int] | None:
    """The counters named in ?counters= (already checked by the page), None for all."""
    if raw is None or not raw.strip():
        return None
    return [int(p) for p in raw.split(",") if p.strip().isdigit()]


def board_layout(office: Office, subset: list[int] | None, lang: str) -> dict[str, Any]:
    """What the board shows of the office's settings: its name, and each counter it shows
    with its name and the fields it serves, in the grid they fill. The page is drawn from
    it and fetches it again after a manager's change (board.js): a counter added (on a
    board of every counter), renamed or removed, a field renamed, without a reload. A
    counter of ?counters= that the manager removed is left out, and comes back if added
    again."""
    known = {c.number: c for c in office.counters}
    numbers = [c.number for c in office.counters] if subset is None else subset
    counters = []
    for number in numbers:
        c = known.get(number)
        if c is None:
            continue
        default = c.name == f"Quầy {c.number}"  # the config reader's name for an unnamed counter
        names = [f.name_en if lang == "en" else f.name_vi for f in map(office.field, c.fields) if f]
        counters.append(
            {
                "number": c.number,
                "name": f"{translate('board.counter', lang)} {c.number}" if default else c.name,
                "fields": " · ".join(names),
            }
        )
    cols, rows = grid(len(counters))
    return {"office": office.name, "counters": counters, "cols": cols, "rows": rows}


def grid(tiles: int) -> tuple[int, int]:
    """Columns and rows of the counter tiles: as square as a 16:9 area beside the list of
    calls allows, so each number stays as large as it can be."""
    cols = max(1, tiles if tiles <= 3 else (2 if tiles == 4 else (3 if tiles <= 9 else 4)))
    return cols, max(1, (tiles + cols - 1) // cols)


async def layout(request: Request) -> Response:
    office = path_office(request)
    data = board_layout(office, _subset(request.query_params.get("counters")), language(request))
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


async def board_page(request: Request) -> Response:
    office = path_office(request)
    raw_subset = request.query_params.get("counters")
    counters = _counter_subset(office, raw_subset)
    voice = request.query_params.get("voice", "clips")
    if voice not in VOICES:
        raise BadRequest(text_key="error.board.voice", params={"voices": ", ".join(VOICES)})
    service: QueueService = services(request).queue
    lang = language(request)
    settings: dict[str, Any] = {
        "office": office.slug,
        "timezone": office.timezone,
        "lang": lang,
        "counters": counters,
        # None: every counter of the office, also one the manager adds later.
        "subset": None if _subset(raw_subset) is None else counters,
        "voice": voice,
        "token": request.query_params.get("token") or None,
        "heartbeatS": services(request).config.server.heartbeat_s,
        "recent": RECENT_CALLS,
        "nowMs": service.clock.now_ms(),
        "chime": clip_url(_data_dir(request), office.slug, CHIME),
    }
    return render(
        request,
        "board.html",
        {
            "office": office,
            "layout": board_layout(office, settings["subset"], lang),
            "settings": settings,
        },
    )


def _style(request: Request, office: Office) -> AnnounceStyle:
    style = request.query_params.get("style", office.announce)
    if style == "digits":
        return "digits"
    if style == "number":
        return "number"
    raise BadRequest(text_key="error.board.style")


async def say(request: Request) -> Response:
    """What the board plays for one call: the words, their clip URLs, and the sentence for
    a browser voice and for the caption."""
    office = path_office(request)
    number = request.query_params.get("number", "").strip()
    counter_raw = request.query_params.get("counter", "").strip()
    if not counter_raw.isdigit() or not 0 < int(counter_raw) < 10_000:
        raise BadRequest(text_key="error.board.counter")
    counter = int(counter_raw)
    style = _style(request, office)
    try:
        if not number or len(number) > 16:
            raise ValueError(number)
        words = announcement_words(number, counter, style)
    except ValueError as exc:
        raise BadRequest(text_key="error.board.number", params={"number": number}) from exc
    data = _data_dir(request)
    service: QueueService = services(request).queue
    return JSONResponse(
        {
            "number": number.upper(),
            "counter": counter,
            "style": style,
            "words": words,
            "clips": [clip_url(data, office.slug, clip_name(w)) for w in words],
            "chime": clip_url(data, office.slug, CHIME),
            "text": announcement_text(number, counter, style, for_speech=False),
            "speech": announcement_text(number, counter, style),
            "now": service.clock.now_ms(),
        }
    )


async def manifest(request: Request) -> Response:
    """Every clip this office's board may play, with its URL and source; `ready` is false
    while the default set is still being built at start."""
    office = path_office(request)
    data = _data_dir(request)
    built = read_manifest(default_dir(data))

    def entry(stem: str) -> dict[str, Any]:
        path, source = clip_file(data, office.slug, stem)
        return {
            "file": path.name if path else None,
            "source": source or None,
            "url": clip_url(data, office.slug, stem),
        }

    return JSONResponse(
        {
            "office": office.slug,
            "ready": built is not None,
            "espeak_ng": built.get("espeak_ng") if built else None,
            "chime": entry(CHIME),
            "clips": {u: {"stem": clip_name(u), **entry(clip_name(u))} for u in VOCABULARY},
        }
    )


async def clip(request: Request) -> Response:
    office = path_office(request)
    stem = request.path_params["clip"]
    if stem != CHIME and stem not in UNITS:
        raise NotFound(text_key="error.voice.no_clip", params={"stem": stem})
    data = _data_dir(request)
    path, _ = clip_file(data, office.slug, stem)
    if path is None:
        raise Unavailable(text_key="error.voice.preparing")
    # A recording may be .ogg or .mp3 behind the .wav URL: say what it really is.
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


def routes() -> list[BaseRoute]:
    return [
        Route("/board/{office}", board_page),
        Route("/board/{office}/layout", layout),
        Route("/voice/{office}/say", say),
        Route("/voice/{office}/manifest.json", manifest),
        Route("/voice/{office}/{clip}.wav", clip),
    ]
