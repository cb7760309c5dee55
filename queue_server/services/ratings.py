"""Satisfaction ratings (đánh giá mức độ hài lòng): the scale, the reasons, the use case."""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.errors import BadRequest
from queue_server.office import Office
from queue_server.services.queue import QueueService
from queue_server.store.ratings import RatingStore

# Level 1 is the best. Four levels by default; the fifth ("rất không hài lòng") is optional.
LEVEL_KEYS = ("very_good", "good", "neutral", "bad", "very_bad")
# Preset reasons offered when a rating is negative; anything else is kept as free text.
REASONS = ("wait", "attitude", "guidance", "documents", "facilities")
MAX_REASON = 300


@dataclass(frozen=True)
class Level:
    value: int
    key: str
    negative: bool
    satisfied: bool


def levels(office: Office) -> tuple[Level, ...]:
    """The office's scale, best first: the top two count as satisfied, the levels below
    "bình thường" are negative and ask for a reason."""
    n = office.ratings.levels
    return tuple(Level(i, LEVEL_KEYS[i - 1], i >= 4, i <= 2) for i in range(1, n + 1))


def reason_group(reason: str) -> str:
    """A preset reason's code, "other" for free text, "" when none was given."""
    if not reason:
        return ""
    return reason if reason in REASONS else "other"


class RatingService:
    def __init__(self, queue: QueueService, store: RatingStore) -> None:
        self.queue = queue
        self.store = store

    async def already_rated(self, ticket_id: str) -> bool:
        """Whether the ticket has had its one rating."""
        return await self.store.rated(ticket_id)

    async def rate(
        self,
        ticket_id: str,
        level: int,
        reason: str | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Rates a finished ticket once; returns the `ticket.rated` event id."""
        ticket = await self.queue.store.ticket(ticket_id)
        office = self.queue.office(ticket.office)
        n = office.ratings.levels
        if not 1 <= level <= n:
            raise BadRequest(text_key="error.rating.level_range", params={"n": n})
        text = (reason or "").strip()
        if len(text) > MAX_REASON:
            raise BadRequest(text_key="error.rating.reason_long", params={"max_len": MAX_REASON})
        return await self.store.rate(
            ticket, level, text, self.queue.clock.now_ms(), idempotency_key
        )
