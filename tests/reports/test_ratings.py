"""Ratings: one per finished ticket, anonymous on the stream, the right answers for misuse;
and the history writer of these tests checked against the real scripts' events."""

from __future__ import annotations

import asyncio
import json
from datetime import date, time
from typing import Any

import httpx
import pytest

from queue_server.config import Config, parse_office
from queue_server.errors import ConfigError
from queue_server.services.clock import FixedClock
from queue_server.services.queue import QueueService
from queue_server.services.ratings import RatingService
from queue_server.services.reports import DayFolder, figures
from queue_server.store import keys
from queue_server.store.queue import QueueStore
from queue_server.store.ratings import RatingStore
from tests.conftest import OFFICE
from tests.reports import history

API = f"/api/v1/offices/{OFFICE}"


async def _finished(http: httpx.AsyncClient, staff: dict[str, str], field: str = "HT") -> str:
    tid = str((await http.post(f"{API}/tickets", json={"field": field})).json()["id"])
    assert (await http.post(f"{API}/counters/1/open", headers=staff)).status_code == 200
    assert (await http.post(f"{API}/counters/1/call-next", headers=staff)).json()["id"] == tid
    assert (await http.post(f"/api/v1/tickets/{tid}/finish", headers=staff)).status_code == 200
    return tid


async def _rated_events(r: Any) -> list[dict[str, Any]]:
    entries = await r.xrange(keys.events(OFFICE))
    return [json.loads(f["data"]) for _, f in entries if f["type"] == "ticket.rated"]


async def test_rating_a_finished_ticket_once(
    http: httpx.AsyncClient, staff: dict[str, str], r: Any
) -> None:
    tid = await _finished(http, staff)
    resp = await http.post(f"/api/v1/tickets/{tid}/rating", json={"level": 4, "reason": "wait"})
    assert resp.status_code == 201, resp.text
    again = await http.post(f"/api/v1/tickets/{tid}/rating", json={"level": 1})
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "already_rated",
        "message": "Số A001 đã được đánh giá. Mỗi số chỉ được đánh giá một lần.",
    }
    (event,) = await _rated_events(r)
    # Anonymous: no ticket id or number, but where and by whom it was served.
    assert event["level"] == 4 and event["reason"] == "wait" and event["counter"] == 1
    assert event["field"] == "HT" and event["staff"] == "lan"
    assert "id" not in event and "number" not in event


async def test_rating_refused_before_the_ticket_is_finished(
    http: httpx.AsyncClient, r: Any
) -> None:
    tid = (await http.post(f"{API}/tickets", json={"field": "CT"})).json()["id"]
    resp = await http.post(f"/api/v1/tickets/{tid}/rating?lang=en", json={"level": 1})
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "not_finished"
    assert "only a finished ticket can be rated" in resp.json()["error"]["message"]
    assert await _rated_events(r) == []


BAD = [
    {},
    {"level": 0},
    {"level": 5},  # the demo office has four levels
    {"level": "1"},
    {"level": True},
    {"level": 2, "reason": "x" * 301},
]


async def test_bad_ratings_change_nothing(
    http: httpx.AsyncClient, staff: dict[str, str], r: Any
) -> None:
    tid = await _finished(http, staff)
    for body in BAD:
        resp = await http.post(f"/api/v1/tickets/{tid}/rating", json=body)
        assert resp.status_code == 400, body
        assert resp.json()["error"]["code"] == "bad_request"
        assert resp.json()["error"]["message"].startswith(("Mức", "Thiếu", "Trường")), body
    assert await _rated_events(r) == []
    assert (await http.post(f"/api/v1/tickets/{tid}/rating", json={"level": 2})).status_code == 201


async def test_unknown_ticket_is_404(http: httpx.AsyncClient) -> None:
    resp = await http.post(f"/api/v1/tickets/{OFFICE}.AAAAAAAAAAAAAAAA/rating", json={"level": 1})
    assert resp.status_code == 404


async def test_tablet_and_phone_at_once_give_one_rating(service: QueueService, r: Any) -> None:
    ratings = RatingService(service, RatingStore(r))
    placed = await service.issue(OFFICE, "HT")
    await service.counter_action(OFFICE, 1, "open", "lan")
    await service.call_next(OFFICE, 1)
    await service.step(placed.ticket.id, "finish")
    results = await asyncio.gather(
        *(ratings.rate(placed.ticket.id, 1 + i % 4) for i in range(8)), return_exceptions=True
    )
    assert sum(isinstance(x, str) for x in results) == 1
    assert all(
        getattr(x, "code", None) == "already_rated" for x in results if not isinstance(x, str)
    )
    assert len(await _rated_events(r)) == 1


async def test_already_rated_says_whether_a_ticket_had_its_rating(
    service: QueueService, r: Any
) -> None:
    """What the phone's rating page asks before it shows the scale."""
    ratings = RatingService(service, RatingStore(r))
    placed = await service.issue(OFFICE, "HT")
    other = await service.issue(OFFICE, "HT")
    await service.counter_action(OFFICE, 1, "open", "lan")
    await service.call_next(OFFICE, 1)
    await service.step(placed.ticket.id, "finish")
    assert await ratings.already_rated(placed.ticket.id) is False
    await ratings.rate(placed.ticket.id, 2)
    assert await ratings.already_rated(placed.ticket.id) is True
    assert await ratings.already_rated(other.ticket.id) is False
    assert await ratings.already_rated(f"{OFFICE}.AAAAAAAAAAAAAAAA") is False


async def test_five_level_scale(config: Config, service: QueueService, r: Any) -> None:
    office = config.office(OFFICE)
    assert office is not None and office.ratings.levels == 4
    five = parse_office({**office.raw, "ratings": {"levels": 5}}, "test")
    assert five.ratings.levels == 5
    with pytest.raises(ConfigError, match=r"office.ratings.levels: must be 4 or 5, not 3"):
        parse_office({**office.raw, "ratings": {"levels": 3}}, "test")
    service.offices._offices[OFFICE] = five
    ratings = RatingService(service, RatingStore(r))
    placed = await service.issue(OFFICE, "HT")
    await service.counter_action(OFFICE, 1, "open", "lan")
    await service.call_next(OFFICE, 1)
    await service.step(placed.ticket.id, "finish")
    await ratings.rate(placed.ticket.id, 5, "attitude")
    assert (await _rated_events(r))[0]["level"] == 5


async def test_history_shape_matches_the_real_scripts(
    config: Config, r: Any, clock: FixedClock
) -> None:
    """The generated history of these tests has the keys the real scripts write, and the
    real events fold into the same figures."""
    service = QueueService(config, QueueStore(r), clock)
    ratings = RatingService(service, RatingStore(r))
    await service.counter_action(OFFICE, 2, "open", "minh")
    placed = await service.issue(OFFICE, "HT", "elderly")
    clock.advance(300)
    await service.call_next(OFFICE, 2)
    clock.advance(20)
    await service.step(placed.ticket.id, "start")
    clock.advance(600)
    await service.step(placed.ticket.id, "finish")
    await ratings.rate(placed.ticket.id, 2)
    real = {f["type"]: json.loads(f["data"]) for _, f in await r.xrange(keys.events(OFFICE))}

    day = date.fromisoformat(placed.ticket.day)
    visit = history.Visit(day, time(9), "HT", counter=2, wait_s=300, service_s=600,
                          priority="elderly", rating=2)  # fmt: skip
    made = {e: d for _, e, d in history.events(OFFICE, [visit], {(day, 2): "minh"})}
    assert set(made) == set(real) - {"office.day_started"}
    for etype, data in made.items():
        assert set(data) == set(real[etype]), etype
        assert {k: type(v) for k, v in data.items()} == {
            k: type(v) for k, v in real[etype].items()
        }, etype

    # The real events give the figures of that visit. Redis stamped them with the wall
    # clock, not the test's, so they are folded here rather than read by their day.
    office = service.office(OFFICE)
    folder = DayFolder(office, day.isoformat())
    for _, f in await r.xrange(keys.events(OFFICE)):
        folder.add(f["type"], json.loads(f["data"]))
    got = figures(folder.agg["groups"]["all"])
    assert (got["issued"], got["served"], got["avg_wait"], got["avg_service"]) == (1, 1, 5.0, 10.0)
    assert (got["rated"], got["satisfaction"], got["service_level"]) == (1, 100.0, 100.0)
    assert figures(folder.agg["groups"]["staff:minh"])["served"] == 1
    assert figures(folder.agg["groups"]["class:elderly"])["issued"] == 1
