"""The console's voice page: every word a board says, played back, and replaced by a
recording of a real voice for this office (or put back to the generated one).

Recordings go to `data/voice/{office}/{stem}.wav|.ogg|.mp3`, the folder the board's
`/voice/{office}/…` routes look in first (`display.voice.clip_file`). A new recording gets a
new URL there, so running boards pick it up at their next call. The folder is on this
server's disk: with several server hosts, each needs the same files (docs/manager.md).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import BaseRoute

from display.voice import CHIME, CLIP_EXTENSIONS, UNITS, clip_file
from queue_server.config.bounds import BOUNDS
from queue_server.errors import NotFound
from queue_server.rules.speech import VOCABULARY, clip_name
from queue_server.web.board import clip_url
from queue_server.web.manage.console import Console, page
from queue_server.web.manage.forms import Form
from queue_server.web.wiring import services

MAX_CLIP_BYTES = 1024 * 1024
# Wider than one clip, so a too-large file gets a message on the page, not a bare 413.
UPLOAD_LIMIT = 4 * MAX_CLIP_BYTES


def sniff(head: bytes) -> str | None:
    """The extension the bytes really have (WAV, Ogg or MP3), whatever the file was named."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ".wav"
    if head[:4] == b"OggS":
        return ".ogg"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return ".mp3"
    return None


def _office_dir(c: Console) -> Path:
    data: Path = services(c.request).config.server.data_dir
    return data / "voice" / c.office.slug


def _write(folder: Path, stem: str, ext: str, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{stem}{ext}.part"
    tmp.write_bytes(content)
    # The board looks for .wav, .ogg, .mp3 in that order: only one recording per word.
    for other in CLIP_EXTENSIONS:
        if other != ext:
            (folder / f"{stem}{other}").unlink(missing_ok=True)
    os.replace(tmp, folder / f"{stem}{ext}")


def _remove(folder: Path, stem: str) -> bool:
    found = False
    for ext in CLIP_EXTENSIONS:
        path = folder / f"{stem}{ext}"
        if path.is_file():
            path.unlink()
            found = True
    return found


def _rows(c: Console) -> list[dict[str, Any]]:
    data: Path = services(c.request).config.server.data_dir
    rows = []
    for unit in (*VOCABULARY, CHIME):
        stem = CHIME if unit == CHIME else clip_name(unit)
        path, source = clip_file(data, c.office.slug, stem)
        rows.append({
            "unit": c.t("manage.voice.chime") if unit == CHIME else unit,
            "stem": stem,
            "source": source or None,
            "url": clip_url(data, c.office.slug, stem) if path else None,
        })  # fmt: skip
    return rows


def _page(c: Console, errors: dict[str, str], status: int = 200) -> Response:
    values = {"announce": c.office.announce}
    return c.render(
        "manage_voice.html", "voice",
        {"rows": _rows(c), "errors": errors, "values": values, "max_kb": MAX_CLIP_BYTES // 1024},
        status,
    )  # fmt: skip


async def voice_page(c: Console) -> Response:
    return _page(c, {})


def _stem(c: Console) -> str:
    stem = c.request.path_params["stem"]
    if stem != CHIME and stem not in UNITS:
        raise NotFound(text_key="error.voice.no_clip", params={"stem": stem})
    return str(stem)


async def upload(c: Console) -> Response:
    assert c.form is not None
    stem = _stem(c)
    upload = c.form.get("clip")
    content = b""
    if isinstance(upload, UploadFile):
        content = await upload.read(MAX_CLIP_BYTES + 1)
    errors: dict[str, str] = {}
    ext = sniff(content[:16])
    if not content:
        errors[stem] = c.t("manage.voice.err.empty")
    elif len(content) > MAX_CLIP_BYTES:
        errors[stem] = c.t("manage.voice.err.size").format(kb=MAX_CLIP_BYTES // 1024)
    elif ext is None or len(content) < 64:
        errors[stem] = c.t("manage.voice.err.format")
    if errors or ext is None:
        return _page(c, errors or {stem: c.t("manage.voice.err.format")}, 400)
    await asyncio.to_thread(_write, _office_dir(c), stem, ext, content)
    await c.event("voice.changed", {"action": "uploaded", "clip": stem, "bytes": len(content)})
    return c.done(f"/voice#clip-{stem}", "uploaded")


async def remove(c: Console) -> Response:
    stem = _stem(c)
    if await asyncio.to_thread(_remove, _office_dir(c), stem):
        await c.event("voice.changed", {"action": "removed", "clip": stem})
    return c.done(f"/voice#clip-{stem}", "removed")


async def announce(c: Console) -> Response:
    assert c.form is not None
    form = Form(c.form, c.lang)
    style = form.read(BOUNDS["announce"])
    if not form.errors:
        table = c.raw()
        table["announce"] = style
        if await c.save(table, "office", form.errors):
            return c.done("/voice")
    return _page(c, form.errors, 400)


def routes() -> list[BaseRoute]:
    return [
        page("/voice", voice_page),
        page("/voice/announce", announce, post=True),
        page("/voice/{stem}/upload", upload, post=True, form_limit=UPLOAD_LIMIT),
        page("/voice/{stem}/remove", remove, post=True),
    ]
