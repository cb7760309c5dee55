"""The default voice clips, built for real with espeak-ng and sox."""

from __future__ import annotations

import array
import http.server
import itertools
import math
import shutil
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from display import voice
from queue_server.rules.speech import VOCABULARY, announcement_words, clip_name

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="needs the Debian packages espeak-ng and sox (scripts/install installs them)",
)


def levels(path: Path) -> tuple[float, float, float]:
    """Duration in seconds, RMS and peak as fractions of full scale."""
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2), path
        samples = array.array("h", w.readframes(w.getnframes()))
        duration = w.getnframes() / w.getframerate()
    rms = math.sqrt(sum(s * s for s in samples) / max(1, len(samples))) / 32768
    return duration, rms, max(map(abs, samples), default=0) / 32768


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data = tmp_path_factory.mktemp("data")
    voice.ensure_default_clips(data)
    yield data


def test_every_unit_has_an_audible_clip(data_dir: Path) -> None:
    clips = voice.default_dir(data_dir)
    for unit in VOCABULARY:
        duration, rms, peak = levels(clips / f"{clip_name(unit)}.wav")
        assert 0.1 <= duration <= 3.0, (unit, duration)
        assert rms > 0.03 and peak > 0.5, (unit, rms, peak)


def test_chime_is_a_two_tone_ding_dong(data_dir: Path) -> None:
    chime = voice.default_dir(data_dir) / "chime.wav"
    duration, rms, peak = levels(chime)
    assert 1.0 <= duration <= 1.5 and rms > 0.02 and 0.3 < peak < 1.0
    # The second tone starts part way through: the level rises again after the first decays.
    with wave.open(str(chime), "rb") as w:
        samples = array.array("h", w.readframes(w.getnframes()))
        rate = w.getframerate()
    window = rate // 20
    peaks = [max(map(abs, samples[i : i + window])) for i in range(0, len(samples), window)]
    assert any(b > a * 1.5 for a, b in itertools.pairwise(peaks))


def test_manifest_lists_every_clip(data_dir: Path) -> None:
    clips = voice.default_dir(data_dir)
    manifest = voice.read_manifest(clips)
    assert manifest is not None
    assert set(manifest["clips"]) == set(VOCABULARY)
    for unit, entry in manifest["clips"].items():
        assert entry["file"] == f"{clip_name(unit)}.wav"
        assert entry["duration_s"] == pytest.approx(levels(clips / entry["file"])[0], abs=0.002)
    assert manifest["chime"]["file"] == "chime.wav"
    assert manifest["key"] == voice.build_key(voice.espeak_version())


def test_an_announcement_lasts_a_few_seconds(data_dir: Path) -> None:
    clips = voice.default_dir(data_dir)
    for words in (
        announcement_words("A012", 3, "digits"),
        announcement_words("B105", 12, "number"),
    ):
        total = sum(levels(voice.resolve_clip(u, None, clips))[0] for u in words)
        assert 2.0 <= total <= 6.0, (words, total)


def test_second_ensure_is_a_fast_no_op(data_dir: Path) -> None:
    clips = voice.default_dir(data_dir)
    before = {p.name: p.stat().st_mtime_ns for p in clips.iterdir()}
    assert voice.ensure_default_clips(data_dir) == clips
    assert {p.name: p.stat().st_mtime_ns for p in clips.iterdir()} == before


def test_stale_or_incomplete_set_is_rebuilt(data_dir: Path, tmp_path: Path) -> None:
    # A copy of the set built once for the module (a build from nothing is tested there).
    shutil.copytree(voice.default_dir(data_dir), voice.default_dir(tmp_path))
    clips = voice.ensure_default_clips(tmp_path)
    (clips / f"{clip_name('mười')}.wav").unlink()
    voice.ensure_default_clips(tmp_path)
    assert levels(clips / f"{clip_name('mười')}.wav")[1] > 0.03

    manifest = voice.read_manifest(clips)
    assert manifest is not None
    (clips / "manifest.json").write_text('{"key": "from an older espeak-ng"}', encoding="utf-8")
    voice.ensure_default_clips(tmp_path)
    assert voice.read_manifest(clips) is not None
    assert voice.read_manifest(clips)["key"] == manifest["key"]  # type: ignore[index]
    assert not [p for p in clips.parent.iterdir() if p.name.startswith(".default-")]


def test_override_wins(data_dir: Path, tmp_path: Path) -> None:
    clips = voice.default_dir(data_dir)
    override = tmp_path / "override"
    override.mkdir()
    assert voice.resolve_clip("mười", override, clips) == clips / "muwowif.wav"
    (override / "muwowif.mp3").write_bytes(b"a recording")
    assert voice.resolve_clip("mười", override, clips) == override / "muwowif.mp3"
    assert voice.resolve_clip("mươi", override, clips) == clips / "muwowi.wav"
    assert voice.resolve_chime(override, clips) == clips / "chime.wav"
    (override / "chime.ogg").write_bytes(b"a softer bell")
    assert voice.resolve_chime(override, clips) == override / "chime.ogg"


def test_missing_clip_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(voice.VoiceClipsError, match="muwowif"):
        voice.resolve_clip("mười", None, tmp_path)


def test_missing_espeak_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(voice.ToolMissing, match="Debian package espeak-ng"):
        voice.ensure_default_clips(tmp_path)


def test_command_line_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert voice.main(["build", "--out", str(tmp_path / "clips")]) == 0
    assert f"{len(VOCABULARY)} clips + chime" in capsys.readouterr().out
    assert voice.read_manifest(tmp_path / "clips") is not None


STATIC = Path(voice.__file__).parent / "static"

# Three calls arrive at once, the last with a clip the server lacks: each must start only
# after the previous one ended, in order, and the broken one must still end.
ANNOUNCE_THREE = """async (calls) => {
  const { Announcer } = await import("/static/voice.js");
  const announcer = new Announcer({ chime: "/clips/chime.wav" });
  const log = [];
  for (const type of ["start", "end"]) {
    announcer.addEventListener(type, (e) => log.push([type, e.detail.call.number,
      Math.round(performance.now()), e.detail.ok ?? null]));
  }
  const handles = calls.map((call) => announcer.enqueue(call));
  const pendingAtOnce = announcer.pending;
  await Promise.all(handles.map((h) => h.ended));
  return { log, pendingAtOnce };
}"""


@pytest.fixture
def clip_server(data_dir: Path) -> Iterator[str]:
    clips = voice.default_dir(data_dir)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            folder, _, name = path.lstrip("/").partition("/")
            root = {"clips": clips, "static": STATIC}.get(folder, STATIC)
            return str(root / Path(name).name)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.browser
async def test_board_announces_calls_in_order_without_overlap(
    clip_server: str, data_dir: Path
) -> None:
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("Debian's chromium is needed: run scripts/test, which installs it")

    def urls(*units: str) -> list[str]:
        return [f"/clips/{clip_name(u)}.wav" for u in units]

    # Short calls (the chime and a ticket number) keep the test quick; a whole sentence
    # works the same way.
    a7 = ["A", "bảy"]
    b21 = ["B", "hai", "mươi", "mốt"]
    calls = [
        {"number": "A7", "counter": 3, "words": urls(*a7)},
        {"number": "B21", "counter": 12, "words": urls(*b21)},
        {"number": "A7", "counter": 3, "words": [*urls("A"), "/clips/missing.wav"]},
    ]
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            page = await browser.new_page()
            await page.goto(f"{clip_server}/static/voice.js")
            result = await page.evaluate(ANNOUNCE_THREE, calls)
        finally:
            await browser.close()

    log = result["log"]
    assert result["pendingAtOnce"] == 3
    assert [(e[0], e[1]) for e in log] == [
        ("start", "A7"),
        ("end", "A7"),
        ("start", "B21"),
        ("end", "B21"),
        ("start", "A7"),
        ("end", "A7"),
    ]
    assert [e[3] for e in log if e[0] == "end"] == [True, True, False]
    manifest = voice.read_manifest(voice.default_dir(data_dir))
    assert manifest is not None
    chime = manifest["chime"]["duration_s"]
    for (start, end), units in zip([(log[0], log[1]), (log[2], log[3])], [a7, b21], strict=True):
        speech = sum(manifest["clips"][u]["duration_s"] for u in units)
        played = (end[2] - start[2]) / 1000
        # Each call plays to its end: chime + every clip, never cut short by the next.
        assert chime + speech <= played <= chime + speech + 2.0, (units, played)
