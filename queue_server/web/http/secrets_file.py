"""The key that signs session cookies: from config, or made once and kept in the data dir."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def session_key(data_dir: Path) -> str:
    path = data_dir / "session.key"
    if path.exists():
        return path.read_text("ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created readable by the owner only; a race between two processes keeps the first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text("ascii").strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
