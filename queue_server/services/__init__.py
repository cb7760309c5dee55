"""Use cases. The one store name the edges need is the store's failure, for their error
table and health check: it is handed on here so that web imports nothing of store."""

from queue_server.store.errors import StoreError

__all__ = ["StoreError"]
