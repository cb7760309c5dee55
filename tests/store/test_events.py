"""Reading an office's event stream back: from an instant, of some types, across pages."""

from __future__ import annotations

import json
from typing import Any

from queue_server.store import keys
from queue_server.store.events import PAGE, EventLog
from tests.conftest import OFFICE


async def test_events_since_an_instant_of_the_given_types_across_pages(r: Any) -> None:
    stream = keys.events(OFFICE)
    await r.xadd(stream, {"type": "ticket.finished", "data": json.dumps({"n": -1})}, id="999-0")
    async with r.pipeline(transaction=False) as p:
        for n in range(PAGE * 2 + 5):
            etype = "ticket.finished" if n % 2 else "ticket.called"
            p.xadd(stream, {"type": etype, "data": json.dumps({"n": n})}, id=f"1000-{n}")
        p.xadd(stream, {"type": "ticket.no_show", "data": "[1, 2]"}, id="1001-0")
        p.xadd(stream, {"type": "ticket.no_show"}, id="1001-1")
        await p.execute()
    found = await EventLog(r).since(OFFICE, 1000, ("ticket.finished", "ticket.no_show"))
    finished = [d["n"] for t, d in found if t == "ticket.finished"]
    assert finished == list(range(1, PAGE * 2 + 5, 2))
    # Data that is not an object is left out; an event without data has empty data.
    assert found[-1] == ("ticket.no_show", {})
    assert await EventLog(r).since(OFFICE, 1002, ("ticket.finished",)) == []
    assert await EventLog(r).since("nowhere", 0, ("ticket.finished",)) == []
