"""The store's failure, for the layers above: Redis unreachable, timed out, or answering an
error. Services catch it by this name and need not know which client the store uses."""

from __future__ import annotations

from redis import RedisError as StoreError

__all__ = ["StoreError"]
