"""Recordings of the board's words: uploaded, served back to boards, removed."""

from __future__ import annotations

import io
import json
import wave
from typing import Any

import httpx

from queue_server.rules.speech import clip_name
from queue_server.store import keys
from tests.manage.test_settings import error_for
from tests.support.console import OFFICE, Session

BASE = f"/manage/{OFFICE}"
STEM = clip_name("mời")


def recording(seconds: float = 0.2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x10\x00" * int(16000 * seconds))
    return out.getvalue()


async def test_recording_is_served_to_boards_and_can_be_removed(
    manager: Session, http: httpx.AsyncClient, r: Any
) -> None:
    page = await manager.get(f"{BASE}/voice")
    assert f'data-clip="{STEM}"' in page.text and "<b>mời</b>" in page.text
    clip = recording()
    res = await manager.post(
        f"{BASE}/voice/{STEM}/upload", files={"clip": ("moi.wav", clip, "audio/wav")}
    )
    assert res.status_code == 303, res.text[:300]
    served = await http.get(f"/voice/{OFFICE}/{STEM}.wav")
    assert served.status_code == 200 and served.content == clip
    manifest = (await http.get(f"/voice/{OFFICE}/manifest.json")).json()
    assert manifest["clips"]["mời"]["source"] == "office"
    ((_, entry),) = await r.xrevrange(keys.events(OFFICE), count=1)
    assert entry["type"] == "voice.changed"
    assert json.loads(entry["data"]) == {
        "action": "uploaded", "clip": STEM, "bytes": len(clip), "by": "hoa"
    }  # fmt: skip
    page = await manager.get(f"{BASE}/voice")
    assert f'src="/voice/{OFFICE}/{STEM}.wav?v=' in page.text

    res = await manager.post(f"{BASE}/voice/{STEM}/remove")
    assert res.status_code == 303
    manifest = (await http.get(f"/voice/{OFFICE}/manifest.json")).json()
    assert manifest["clips"]["mời"]["source"] != "office"


async def test_bad_recordings_are_refused_with_a_message(
    manager: Session, http: httpx.AsyncClient
) -> None:
    res = await manager.post(
        f"{BASE}/voice/{STEM}/upload",
        files={"clip": ("moi.wav", b"<html>not audio</html>" * 10, "audio/wav")},
    )
    assert res.status_code == 400
    assert error_for(res.text, STEM) == "Tệp không phải âm thanh WAV, OGG hoặc MP3."
    res = await manager.post(
        f"{BASE}/voice/{STEM}/upload", files={"clip": ("dai.wav", recording(40), "audio/wav")}
    )
    assert res.status_code == 400
    assert error_for(res.text, STEM) == "Tệp quá lớn (tối đa 1024 KB)."
    manifest = (await http.get(f"/voice/{OFFICE}/manifest.json")).json()
    assert manifest["clips"]["mời"]["source"] != "office"
    res = await manager.post(
        f"{BASE}/voice/khong-co/upload", files={"clip": ("x.wav", recording(), "audio/wav")}
    )
    assert res.status_code == 404
