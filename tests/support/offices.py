"""A deployment of two offices for tests: the demo office and a copy of it."""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from pathlib import Path

from queue_server import config as config_mod

ROOT = Path(__file__).resolve().parent.parent.parent
OFFICE_B = "phuong-hoan-kiem"
NAME_B = "Trung tâm Phục vụ hành chính công phường Hoàn Kiếm"


def two_offices(url: str, data_dir: Path) -> config_mod.Config:
    """The demo config with a second office (`OFFICE_B`), on the Redis at `url`."""
    data = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    second = copy.deepcopy(data["offices"][0])
    second.update(slug=OFFICE_B, name=NAME_B)
    data["offices"].append(second)
    cfg = config_mod.parse(data, ROOT / "config.toml")
    return dataclasses.replace(
        cfg,
        redis=dataclasses.replace(cfg.redis, url=url),
        server=dataclasses.replace(cfg.server, data_dir=data_dir, heartbeat_s=1.0),
    )
