"""The previous released shape of the data (v1.json), written into a Redis key by key with
the commands that sothutu of that time used."""

from __future__ import annotations

import json
from pathlib import Path

import redis

V1 = Path(__file__).with_name("v1.json")


def load_v1(url: str) -> dict[str, dict[str, object]]:
    """Writes the snapshot into the Redis at `url` (flushed first); answers its keys."""
    found: dict[str, dict[str, object]] = json.loads(V1.read_text("utf-8"))["keys"]
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        client.flushall()
        for key, entry in found.items():
            value = entry["value"]
            if entry["type"] == "hash":
                assert isinstance(value, dict)
                client.hset(key, mapping=value)
            elif entry["type"] == "set":
                assert isinstance(value, list)
                client.sadd(key, *value)
            else:
                raise ValueError(f"{key}: no loader for type {entry['type']!r}")
    finally:
        client.close()
    return found
