"""The board's page and voice routes over real HTTP, with the clips built for real."""

from __future__ import annotations

import asyncio
import io
import math
import struct
import wave
from pathlib import Path
from typing import Any

import httpx
import pytest

from display import voice
from queue_server.config import Config
from queue_server.rules.speech import VOCABULARY, clip_name
from queue_server.web import board
from tests.conftest import OFFICE, start_server

VOICE = f"/voice/{OFFICE}"


async def wait_for_clips(http: httpx.AsyncClient) -> dict[str, Any]:
    """The manifest once the server has built the default clips (it does so at start, with
    espeak-ng: seconds, more on a busy 2-core machine)."""
    for _ in range(800):
        manifest: dict[str, Any] = (await http.get(f"{VOICE}/manifest.json")).json()
        if manifest["ready"]:
            return manifest
        await asyncio.sleep(0.05)
    raise AssertionError("the default clips were not built within 40 s")


def tone_wav(seconds: float = 0.2, freq: float = 440.0, rate: int = 16000) -> bytes:
    """A short sine recording, as a manager's replacement clip."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = int(seconds * rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / rate)))
                for i in range(frames)
            )
        )
    return buf.getvalue()


async def test_say_gives_the_words_in_the_office_style_or_the_one_asked(
    http: httpx.AsyncClient,
) -> None:
    said = (await http.get(f"{VOICE}/say", params={"number": "A012", "counter": "3"})).json()
    # The demo office reads digits one by one.
    assert said["style"] == "digits"
    assert said["words"] == [
        "mời", "công dân", "có số", "A", "không", "một", "hai", "đến", "quầy", "số", "ba",
    ]  # fmt: skip
    assert said["text"] == "Mời công dân có số A012 đến quầy số 3"
    assert said["speech"] == "Mời công dân có số a, không một hai, đến quầy số ba."
    stems = [url.split("/")[-1].split(".wav")[0] for url in said["clips"]]
    assert stems == [clip_name(w) for w in said["words"]]
    assert all(url.startswith(f"{VOICE}/") for url in said["clips"])
    assert said["chime"].startswith(f"{VOICE}/chime.wav")

    said = (
        await http.get(f"{VOICE}/say", params={"number": "a012", "counter": "3", "style": "number"})
    ).json()
    assert said["number"] == "A012" and said["style"] == "number"
    assert said["words"] == [
        "mời", "công dân", "có số", "A", "mười", "hai", "đến", "quầy", "số", "ba",
    ]  # fmt: skip
    params = {"number": "B105", "counter": "12", "style": "number"}
    said = (await http.get(f"{VOICE}/say", params=params)).json()
    assert said["words"][3:] == [
        "B", "một", "trăm", "linh", "năm", "đến", "quầy", "số", "mười", "hai",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "vi", "en"),
    [
        ({"counter": "3"}, "Tham số number phải là một số thứ tự", "number must be a ticket"),
        ({"number": "12A", "counter": "3"}, "phải là một số thứ tự", "such as A012"),
        ({"number": "A0$2", "counter": "3"}, "phải là một số thứ tự", "such as A012"),
        ({"number": "A" * 20, "counter": "3"}, "phải là một số thứ tự", "such as A012"),
        ({"number": "A012"}, "Tham số counter phải là số quầy", "counter must be"),
        ({"number": "A012", "counter": "ba"}, "phải là số quầy", "counter must be"),
        ({"number": "A012", "counter": "0"}, "phải là số quầy", "counter must be"),
        ({"number": "A012", "counter": "3", "style": "roman"}, "'digits' hoặc", "'digits' or"),
    ],
)
async def test_say_rejects_bad_input_with_a_readable_message(
    http: httpx.AsyncClient, params: dict[str, str], vi: str, en: str
) -> None:
    resp = await http.get(f"{VOICE}/say", params=params)
    assert resp.status_code == 400
    assert vi in resp.json()["error"]["message"]
    resp = await http.get(f"{VOICE}/say", params={**params, "lang": "en"})
    assert resp.status_code == 400
    assert en in resp.json()["error"]["message"]


async def test_clips_are_real_wavs_and_the_manifest_lists_every_unit(
    http: httpx.AsyncClient,
) -> None:
    manifest = await wait_for_clips(http)
    assert set(manifest["clips"]) == set(VOCABULARY)
    assert {c["source"] for c in manifest["clips"].values()} == {"default"}
    said = (await http.get(f"{VOICE}/say", params={"number": "C045", "counter": "4"})).json()
    for url in [said["chime"], *said["clips"]]:
        resp = await http.get(url)
        assert resp.status_code == 200, url
        assert resp.headers["content-type"] in ("audio/x-wav", "audio/wav"), url
        with wave.open(io.BytesIO(resp.content), "rb") as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
            assert 0.1 < w.getnframes() / w.getframerate() < 3.0, url
    # The manifest and say agree on URLs, so a board that preloads the set reuses it.
    assert manifest["clips"]["mời"]["url"] == said["clips"][0]
    assert manifest["chime"]["url"] == said["chime"]


async def test_a_recording_replaces_a_default_clip(http: httpx.AsyncClient, config: Config) -> None:
    await wait_for_clips(http)
    data = config.server.data_dir
    before = (await http.get(f"{VOICE}/say", params={"number": "A010", "counter": "1"})).json()
    default_bytes = (await http.get(f"{VOICE}/khoong.wav")).content

    office_dir = data / "voice" / OFFICE
    office_dir.mkdir(parents=True)
    recording = tone_wav()
    (office_dir / "khoong.wav").write_bytes(recording)
    shared = voice.override_dir(data)
    shared.mkdir(parents=True)
    (shared / "mowif.ogg").write_bytes(b"OggS" + bytes(60))  # shared by every office
    (shared / "khoong.wav").write_bytes(tone_wav(freq=880))  # the office's own one wins

    resp = await http.get(f"{VOICE}/khoong.wav")
    assert resp.status_code == 200 and resp.content == recording != default_bytes
    resp = await http.get(f"{VOICE}/mowif.wav")
    assert resp.headers["content-type"] == "audio/ogg" and resp.content.startswith(b"OggS")
    manifest = (await http.get(f"{VOICE}/manifest.json")).json()
    assert manifest["clips"]["không"]["source"] == "office"
    assert (
        manifest["clips"]["mời"] | {"source": "shared", "file": "mowif.ogg"}
        == (manifest["clips"]["mời"])
    )
    assert manifest["clips"]["một"]["source"] == "default"
    # A board that asks again gets new URLs for the replaced clips only, so it fetches them.
    after = (await http.get(f"{VOICE}/say", params={"number": "A010", "counter": "1"})).json()
    pairs = zip(after["words"], before["clips"], after["clips"], strict=True)
    changed = {w for w, a, b in pairs if a != b}
    assert changed == {"mời", "không"}


async def test_unknown_clips_and_offices_are_404(http: httpx.AsyncClient) -> None:
    for path in (
        f"{VOICE}/nope.wav",
        f"{VOICE}/..%2F..%2Fconfig.wav",
        f"{VOICE}/MOWIF.wav",
        "/voice/no-such-office/mowif.wav",
        "/voice/no-such-office/say?number=A001&counter=1",
        "/voice/no-such-office/manifest.json",
        "/board/no-such-office",
    ):
        resp = await http.get(path)
        assert resp.status_code == 404, path
        assert resp.json()["error"]["message"], path


async def test_board_page_shows_the_counters_asked_for(http: httpx.AsyncClient) -> None:
    page = await http.get(f"/board/{OFFICE}")
    assert page.status_code == 200
    html = page.text
    assert "Trung tâm Phục vụ hành chính công phường Ba Đình" in html
    assert "Số vừa gọi" in html and "Mất kết nối" in html and "Chạm để bắt đầu" in html
    assert html.count('class="tile"') == 5
    subset = (await http.get(f"/board/{OFFICE}", params={"counters": "4, 2"})).text
    assert subset.count('class="tile"') == 2
    assert subset.index('data-counter="4"') < subset.index('data-counter="2"')
    bad = await http.get(f"/board/{OFFICE}", params={"counters": "1;2"})
    assert bad.status_code == 400 and "cách nhau bởi dấu phẩy" in bad.json()["error"]["message"]
    missing = await http.get(f"/board/{OFFICE}", params={"counters": "1,9", "lang": "en"})
    assert missing.status_code == 404 and "no counter 9" in missing.json()["error"]["message"]
    voice_mode = await http.get(f"/board/{OFFICE}", params={"voice": "loud"})
    assert voice_mode.status_code == 400
    english = (await http.get(f"/board/{OFFICE}", params={"lang": "en"})).text
    assert "Last calls" in english


async def test_board_layout_names_each_counter_and_its_fields(http: httpx.AsyncClient) -> None:
    every = (await http.get(f"/board/{OFFICE}/layout")).json()
    assert every["office"] == "Trung tâm Phục vụ hành chính công phường Ba Đình"
    assert [c["number"] for c in every["counters"]] == [1, 2, 3, 4, 5]
    assert every["counters"][0] == {"number": 1, "name": "Quầy 1", "fields": "Hộ tịch · Tư pháp"}
    assert (every["cols"], every["rows"]) == (3, 2)
    # A counter of ?counters= that no longer exists is left out, not an error: the board
    # asks after a manager's change, which may have removed it.
    some = await http.get(f"/board/{OFFICE}/layout", params={"counters": "5,9,2", "lang": "en"})
    assert some.json()["counters"] == [
        {"number": 5, "name": "Counter 5",
         "fields": "Labour, Invalids and Social Affairs · Justice · Land"},
        {"number": 2, "name": "Counter 2", "fields": "Civil status · Certification"},
    ]  # fmt: skip
    assert (some.json()["cols"], some.json()["rows"]) == (2, 1)
    assert (await http.get("/board/nowhere/layout")).status_code == 404


@pytest.mark.parametrize(
    ("tiles", "cols", "rows"),
    [(0, 1, 1), (1, 1, 1), (3, 3, 1), (4, 2, 2), (5, 3, 2), (9, 3, 3), (10, 4, 3), (13, 4, 4)],
)
def test_board_grid(tiles: int, cols: int, rows: int) -> None:
    assert board.grid(tiles) == (cols, rows)


async def test_board_works_without_clips_when_espeak_is_missing(
    r: Any, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No espeak-ng on the PATH: the build fails, the server still starts and serves the
    # board and the words; only the clip files are unavailable (503, try again later).
    monkeypatch.setenv("PATH", str(Path("/nonexistent")))
    thread = start_server(config)
    base = thread.start()
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            assert (await http.get(f"/board/{OFFICE}")).status_code == 200
            said = await http.get(f"{VOICE}/say", params={"number": "A001", "counter": "1"})
            assert said.status_code == 200
            clip = await http.get(said.json()["clips"][0])
            assert clip.status_code == 503
            assert "đang được chuẩn bị" in clip.json()["error"]["message"]
            assert (await http.get(f"{VOICE}/manifest.json")).json()["ready"] is False
    finally:
        thread.stop()
