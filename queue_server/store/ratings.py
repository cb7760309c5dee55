"""Ratings in Redis: one Lua script marks a finished ticket rated and emits `ticket.rated`."""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aredis

from queue_server.errors import Conflict, NotFound
from queue_server.store import keys
from queue_server.store.queue import NO_IDEMPOTENCY, split_ticket_id
from queue_server.store.records import Ticket
from queue_server.store.scripts import _source


class RatingStore:
    def __init__(self, client: aredis.Redis) -> None:
        # Typed loosely: the client decodes responses to str, which its stubs cannot say.
        self.r: Any = client
        self._rate = client.register_script(_source("prelude") + "\n" + _source("rate_ticket"))

    async def rated(self, ticket_id: str) -> bool:
        """Whether the ticket has been rated (False for a ticket that is not there)."""
        slug, token = split_ticket_id(ticket_id)
        return bool(await self.r.hget(keys.ticket(slug, token), "rated"))

    async def rate(
        self,
        ticket: Ticket,
        level: int,
        reason: str,
        now_ms: int,
        idempotency_key: str | None = None,
    ) -> str:
        """Records the rating; returns the event id. Conflict if the ticket is not finished
        or already rated."""
        slug, token = split_ticket_id(ticket.id)
        idem = keys.idempotency(slug, idempotency_key or NO_IDEMPOTENCY)
        raw = await self._rate(
            keys=[
                idem,
                keys.ticket(slug, token),
                keys.events(slug),
                keys.counter(slug, ticket.counter or 0),
            ],
            args=["0" if idempotency_key is None else "1", now_ms, level, reason],
        )
        result: dict[str, Any] = json.loads(raw)
        err = result.get("err")
        if err == "not_found":
            raise NotFound(text_key="error.ticket.not_found")
        if err == "not_finished":
            raise Conflict(
                f"ticket {ticket.number} is {result.get('status')}; only a finished ticket"
                " can be rated",
                text_key="error.rating.not_finished",
                params={"number": ticket.number},
                code="not_finished",
            )
        if err == "already_rated":
            raise Conflict(
                f"ticket {ticket.number} has already been rated; one rating per ticket",
                text_key="error.rating.already_rated",
                params={"number": ticket.number},
                code="already_rated",
            )
        if err is not None:
            raise Conflict(str(result.get("message", err)), code=str(err))
        return str(result["event"])
