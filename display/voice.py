"""The board's voice clips: one WAV per unit of `queue_server.rules.speech.VOCABULARY`,
plus a chime, generated from espeak-ng's Vietnamese voice and cleaned up with sox.

One clip per word means espeak-ng never reads a number itself, so its number bugs do not
matter. A manager may replace any clip with a recording: `resolve_clip` looks in the
override folder first, then in the default set.

    python -m display.voice build [--out DIR]

The server calls `ensure_default_clips(data_dir)` at start: it returns at once when the
set on disk was built from the same vocabulary, voice settings and espeak-ng version, and
(re)builds it otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from queue_server.errors import SothutuError
from queue_server.rules.speech import VOCABULARY, clip_name, spoken_text

log = logging.getLogger("sothutu.board")

VOICE: Final = "vi"
RATE_WPM: Final = 150
SAMPLE_RATE: Final = 22050
PEAK_DBFS: Final = -1.0
CHIME_PEAK_DBFS: Final = -4.0
# A short silence on each side of a trimmed word, so clips joined back to back sound like
# words in a sentence rather than one smeared word.
EDGE_PAD_S: Final = 0.03
CHIME: Final = "chime"
MANIFEST: Final = "manifest.json"
# Formats a browser can decode; a recording may be in any of them. Looked up in this order.
CLIP_EXTENSIONS: Final = (".wav", ".ogg", ".mp3")
# Bump when the build steps below change the sound of the clips.
BUILD_VERSION: Final = 1


class VoiceClipsError(SothutuError):
    """The default clips cannot be built or a clip cannot be found."""

    code = "voice_clips"


class ToolMissing(VoiceClipsError):
    """espeak-ng or sox is not installed; `package` is the Debian package to install."""

    def __init__(self, tool: str, package: str) -> None:
        super().__init__(
            f"{tool} is not installed: the board's voice clips are made with it. "
            f"Install the Debian package {package} (sudo apt-get install {package}), "
            f"or run scripts/install."
        )
        self.tool = tool
        self.package = package


@dataclass(frozen=True)
class Clip:
    unit: str
    file: str
    duration_s: float


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(name, package)
    return path


def _run(args: Sequence[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VoiceClipsError(f"{args[0]} failed: {exc}") from exc
    if done.returncode != 0:
        raise VoiceClipsError(f"{' '.join(args[:3])} … failed: {done.stderr.strip()}")
    return done.stdout


def espeak_version() -> str:
    """The installed espeak-ng's version line, e.g. "eSpeak NG text-to-speech: 1.51"."""
    out = _run([_tool("espeak-ng", "espeak-ng"), "--version"])
    return out.split("Data at:")[0].strip()


def build_key(espeak: str) -> str:
    """Changes whenever a rebuild would produce different clips."""
    recipe = {
        "build": BUILD_VERSION,
        "espeak": espeak,
        "voice": VOICE,
        "rate": RATE_WPM,
        "sample_rate": SAMPLE_RATE,
        "units": [[u, clip_name(u), spoken_text(u)] for u in VOCABULARY],
    }
    return hashlib.sha256(json.dumps(recipe, ensure_ascii=False).encode()).hexdigest()


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def _say(unit: str, out_dir: Path, espeak: str, sox: str) -> Clip:
    stem = clip_name(unit)
    raw = out_dir / f".{stem}.raw.wav"
    final = out_dir / f"{stem}.wav"
    _run([espeak, "-v", VOICE, "-s", str(RATE_WPM), "-w", str(raw), spoken_text(unit)])
    # Trim the silence espeak-ng leaves around a word (reverse to trim the end with the same
    # effect), then pad a little back, set one peak level for every clip and one format, so
    # clips of different words sound equally loud and join without resampling.
    _run(
        [
            sox, str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(final),
            "silence", "1", "0.01", "-45d", "reverse",
            "silence", "1", "0.01", "-45d", "reverse",
            "pad", str(EDGE_PAD_S), str(EDGE_PAD_S),
            "gain", "-n", str(PEAK_DBFS),
        ]
    )  # fmt: skip
    raw.unlink()
    return Clip(unit, final.name, round(wav_duration(final), 3))


def _chime(out_dir: Path, sox: str) -> Clip:
    """A two-tone "ding-dong" (E5 then C5, a falling major third), each tone a sine with a
    quieter octave partial and a logarithmic decay, like a door bell; 1.2 s in all."""
    final = out_dir / f"{CHIME}.wav"
    tones = []
    for i, (freq, start, length) in enumerate(((659.26, 0.0, 0.75), (523.25, 0.42, 0.78))):
        tone = out_dir / f".chime{i}.wav"
        _run(
            [
                sox, "-r", str(SAMPLE_RATE), "-c", "2", "-n", "-c", "1", "-b", "16", str(tone),
                "synth", str(length), "sine", str(freq), "sine", str(freq * 2),
                "remix", "1v0.75,2v0.25",
                "fade", "h", "0.015",
                "fade", "l", "0", str(length), str(length - 0.02),
                "pad", str(start), str(1.2 - start - length),
            ]
        )  # fmt: skip
        tones.append(tone)
    _run([sox, "-m", *map(str, tones), str(final), "gain", "-n", str(CHIME_PEAK_DBFS)])
    for tone in tones:
        tone.unlink()
    return Clip(CHIME, final.name, round(wav_duration(final), 3))


def build_clips(out_dir: Path, *, workers: int | None = None) -> dict[str, Any]:
    """Generate every clip and the chime into `out_dir` (created; existing clips of the
    same name are overwritten) and write its manifest. Returns the manifest."""
    espeak = _tool("espeak-ng", "espeak-ng")
    sox = _tool("sox", "sox")
    version = espeak_version()
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers or min(16, (os.cpu_count() or 2) * 2)) as pool:
        chime = pool.submit(_chime, out_dir, sox)
        clips = list(pool.map(lambda u: _say(u, out_dir, espeak, sox), VOCABULARY))
        chime_clip = chime.result()
    manifest: dict[str, Any] = {
        "key": build_key(version),
        "espeak_ng": version,
        "voice": VOICE,
        "rate_wpm": RATE_WPM,
        "sample_rate": SAMPLE_RATE,
        "build_seconds": round(time.monotonic() - started, 2),
        "chime": {"file": chime_clip.file, "duration_s": chime_clip.duration_s},
        "clips": {c.unit: {"file": c.file, "duration_s": c.duration_s} for c in clips},
    }
    tmp = out_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(out_dir / MANIFEST)
    return manifest


def read_manifest(clip_dir: Path) -> dict[str, Any] | None:
    """The manifest of a clip set, or None when it is missing or unreadable."""
    try:
        data = json.loads((clip_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _up_to_date(clip_dir: Path, key: str) -> bool:
    manifest = read_manifest(clip_dir)
    if manifest is None or manifest.get("key") != key:
        return False
    clips = manifest.get("clips") or {}
    chime = manifest.get("chime") or {}
    files = [(clips.get(u) or {}).get("file") for u in VOCABULARY] + [chime.get("file")]
    return all(isinstance(f, str) and (clip_dir / f).is_file() for f in files)


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    # Several server processes may start together on one host: one builds, the others wait
    # and then find the set up to date.
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def default_dir(data_dir: Path) -> Path:
    return data_dir / "voice" / "default"


def override_dir(data_dir: Path) -> Path:
    """Where a manager's recordings go, named like the default clips (`clip_name`)."""
    return data_dir / "voice" / "override"


def ensure_default_clips(data_dir: Path) -> Path:
    """Make sure `data_dir/voice/default` holds a complete, current clip set; return it.

    Fast and does nothing when the set matches the vocabulary and espeak-ng version. A new
    set is built beside the old one and swapped in, so a board never fetches half a set.
    Blocking: call it from a thread in async code.
    """
    target = default_dir(data_dir)
    key = build_key(espeak_version())
    if _up_to_date(target, key):
        return target
    with _locked(target.parent / ".build.lock"):
        if _up_to_date(target, key):
            return target
        # Leftovers of a build that was killed half way.
        for stale in [*target.parent.glob(".default-*"), *target.parent.glob(".old-*")]:
            shutil.rmtree(stale, ignore_errors=True)
        fresh = Path(tempfile.mkdtemp(prefix=".default-", dir=target.parent))
        try:
            build_clips(fresh)
            old = target.with_name(f".old-{os.getpid()}")
            if target.exists():
                target.rename(old)
            fresh.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
    return target


def _find(stem: str, folder: Path | None) -> Path | None:
    if folder is None:
        return None
    for ext in CLIP_EXTENSIONS:
        path = folder / f"{stem}{ext}"
        if path.is_file():
            return path
    return None


def resolve_clip(unit: str, override_dir: Path | None, default_dir: Path) -> Path:
    """The file to play for a unit: a recording in `override_dir` (as .wav, .ogg or .mp3)
    if there is one, else the generated clip.

    >>> resolve_clip("mười", Path("data/voice/override"), Path("data/voice/default"))
    PosixPath('data/voice/default/muwowif.wav')
    """
    stem = clip_name(unit)
    found = _find(stem, override_dir) or _find(stem, default_dir)
    if found is None:
        raise VoiceClipsError(f"no clip for {unit!r} ({stem}.wav) in {default_dir}")
    return found


def resolve_chime(override_dir: Path | None, default_dir: Path) -> Path:
    """The chime: a replacement `chime.wav/.ogg/.mp3` in `override_dir` wins."""
    found = _find(CHIME, override_dir) or _find(CHIME, default_dir)
    if found is None:
        raise VoiceClipsError(f"no chime in {default_dir}")
    return found


# Clip file stem → unit ("muwowif" → "mười"); the chime is a clip without a unit.
UNITS: Final[dict[str, str]] = {clip_name(u): u for u in VOCABULARY}

# The last set this process made sure of. A process that creates many apps over fresh data
# folders (the test suite does) copies it instead of running espeak-ng again each time.
_last_set: Path | None = None


def _prepare_default_clips(data_dir: Path) -> None:
    global _last_set
    target = default_dir(data_dir)
    source = _last_set
    # Only a set this installation's espeak-ng would build (its version is asked first:
    # without espeak-ng nothing is copied), and only whole: copied beside the target and
    # renamed into place, so a board never reads a manifest before its clips.
    if (
        source is not None
        and source != target
        and not target.exists()
        and _up_to_date(source, build_key(espeak_version()))
    ):
        target.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=".default-", dir=target.parent))
        # A copy that fails leaves no target: ensure_default_clips builds the set instead.
        with contextlib.suppress(OSError):
            shutil.copytree(source, fresh, dirs_exist_ok=True)
            fresh.rename(target)
        shutil.rmtree(fresh, ignore_errors=True)
    _last_set = ensure_default_clips(data_dir)


async def build_default_clips(data_dir: Path) -> None:
    """Build the default clip set if it is missing or stale, off the event loop. A failure
    is logged, not raised: the board still shows calls, with the chime and words missing."""
    try:
        await asyncio.to_thread(_prepare_default_clips, data_dir)
    except VoiceClipsError as exc:
        log.error("voice clips not available: %s", exc.message)
    except OSError as exc:  # e.g. a read-only data folder
        log.error("voice clips not available: %s", exc)


def clip_file(data_dir: Path, office: str, stem: str) -> tuple[Path | None, str]:
    """The file to play for a clip stem, and where it comes from ("office", "shared",
    "default"); (None, "") while the default set is not built yet."""
    for folder, source in (
        (data_dir / "voice" / office, "office"),
        (override_dir(data_dir), "shared"),
        (default_dir(data_dir), "default"),
    ):
        found = _find(stem, folder)
        if found is not None:
            return found, source
    return None, ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m display.voice", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="generate the default clip set with espeak-ng")
    build.add_argument(
        "--out", type=Path, default=Path("data/voice/default"), help="default: %(default)s"
    )
    args = parser.parse_args(argv)
    try:
        manifest = build_clips(args.out)
    except VoiceClipsError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    total = sum(c["duration_s"] for c in manifest["clips"].values())
    print(
        f"{len(manifest['clips'])} clips + chime in {args.out} "
        f"({total:.1f} s of speech, built in {manifest['build_seconds']} s "
        f"with {manifest['espeak_ng']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
