"""What a screen without a token may see of an event: the public form of the messages that
boards and kiosks get."""

from __future__ import annotations

from typing import Any


def redact(message: dict[str, Any]) -> dict[str, Any]:
    """The public form of a message, for screens without a token: ticket ids (which let
    their holder cancel a ticket) and the manager who put up a board message or changed
    the office are left out, numbers and counters stay."""
    data = message.get("data")
    if not isinstance(data, dict):
        return message
    etype = message.get("type", "")
    data = dict(data)
    if etype.startswith("ticket."):
        data.pop("id", None)
    elif etype.startswith("counter."):
        data.pop("current", None)
    elif etype in ("board.message", "office.config_changed"):
        data.pop("by", None)
    elif etype == "snapshot":
        data["lanes"] = {
            lane: [{k: v for k, v in t.items() if k != "id"} for t in items]
            for lane, items in data.get("lanes", {}).items()
        }
        data["counters"] = [
            {
                **{k: v for k, v in c.items() if k not in ("current", "ticket")},
                "ticket": (
                    {k: v for k, v in c["ticket"].items() if k != "id"} if c.get("ticket") else None
                ),
            }
            for c in data.get("counters", [])
        ]
        data["recent_calls"] = [
            {k: v for k, v in call.items() if k != "id"} for call in data.get("recent_calls", [])
        ]
    return {**message, "data": data}
