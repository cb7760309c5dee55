"""`/readyz`, the readiness probe, and a graceful stop on SIGTERM, against real `serve`
processes and a real external redis-server."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from queue_server import config as config_mod
from queue_server.store.connection import EmbeddedRedis
from queue_server.web.app import create_app
from tests.conftest import OFFICE, start_server
from tests.support.server import ServeProcess, wait_until

API = f"/api/v1/offices/{OFFICE}"


def readyz(base: str) -> tuple[int, dict[str, Any]]:
    try:
        resp = httpx.get(f"{base}/readyz", timeout=5)
    except httpx.HTTPError:
        return 0, {}
    return resp.status_code, resp.json()


def cached_scripts(client: redis.Redis) -> int:
    return int(client.info("memory")["number_of_cached_scripts"])


def script_calls(client: redis.Redis) -> int:
    """SCRIPT commands served (Redis 6 counts them together, 7 per subcommand)."""
    stats = client.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k.startswith("cmdstat_script"))


@pytest.mark.slow
def test_readyz_follows_an_external_redis(tmp_path: Path) -> None:
    external = EmbeddedRedis(tmp_path / "external", appendfsync="always")
    external.start()
    (tmp_path / "srv").mkdir()
    server = ServeProcess(tmp_path / "srv", external.url())
    try:
        server.start()
        assert readyz(server.url) == (200, {"ready": True})
        # Loaded at start, and again by the probe after Redis lost its script cache.
        probe = redis.Redis(unix_socket_path=str(external.socket))
        assert cached_scripts(probe) >= 7
        # A probe loads nothing Redis has (before Redis 7 a SCRIPT LOAD goes to the AOF).
        calls = script_calls(probe)
        assert readyz(server.url)[0] == 200
        assert script_calls(probe) == calls + 1  # SCRIPT EXISTS alone
        probe.script_flush()
        assert readyz(server.url) == (200, {"ready": True})
        assert cached_scripts(probe) >= 7
        probe.close()
        external.stop()
        assert readyz(server.url) == (503, {"ready": False, "waiting_for": ["redis"]})
        assert httpx.get(f"{server.url}/healthz").status_code == 503  # liveness says it too
        external.start()
        wait_until(lambda: readyz(server.url)[0] == 200, 20)
        probe = redis.Redis(unix_socket_path=str(external.socket))
        assert cached_scripts(probe) >= 7  # a restarted Redis has every script again
        probe.close()
    finally:
        server.stop()
        external.stop()
    assert "Traceback" not in server.log.read_text()


async def test_readyz_is_503_before_start_up_and_from_the_signal_to_stop(
    r: Any, config: config_mod.Config
) -> None:
    # Asked before the lifespan has connected to Redis (nothing has started it here).
    cold = httpx.AsyncClient(transport=httpx.ASGITransport(create_app(config)), base_url="http://t")
    async with cold:
        resp = await cold.get("/readyz")
    assert resp.status_code == 503
    assert resp.json() == {"ready": False, "waiting_for": ["redis", "scripts", "offices"]}
    assert resp.headers["cache-control"] == "no-store"

    thread = start_server(config)
    url = thread.start()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/readyz")).json() == {"ready": True}
        # The signal handler of the production server marks the app at once, before uvicorn
        # has stopped listening or run the lifespan's end; the app answers 503 from then on.
        thread.server.handle_exit(signal.SIGTERM, None)
        app = thread.app
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://t"
        ) as local:
            resp = await local.get("/readyz")
        assert resp.status_code == 503
        assert resp.json() == {"ready": False, "waiting_for": ["shutdown"]}
    finally:
        thread.stop()


@pytest.mark.slow
async def test_sigterm_answers_requests_in_flight_and_tells_boards_to_reconnect(
    tmp_path: Path,
) -> None:
    server = ServeProcess(tmp_path)
    server.start()
    try:
        board = await connect(f"ws://127.0.0.1:{server.port}/ws/offices/{OFFICE}")
        assert json.loads(await board.recv())["type"] == "snapshot"
        # A kiosk's request in flight: its head and half its body sent.
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        body = json.dumps({"field": "HT"}).encode()
        head = (
            f"POST {API}/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        writer.write(head + body[:5])
        await writer.drain()
        # Nothing to wait on from outside: the server has read a head on loopback long before.
        await asyncio.sleep(0.3)
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        # The board is told "service restart" (1012): it reconnects by itself.
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(board.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
        # The request in flight is answered, though the server is stopping.
        writer.write(body[5:])
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        status_line, _, rest = raw.partition(b"\r\n")
        assert status_line.split()[1] == b"201", raw
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["number"] == "A001"
        # Then the lifespan's end (print drivers, hub, Redis), and uvicorn ends the process
        # by the signal it was sent, as a supervisor expects.
        assert await asyncio.to_thread(server.proc.wait, 15) == -signal.SIGTERM
    finally:
        server.stop()
    log = server.log.read_text()
    assert "Application shutdown complete" in log
    assert "Traceback" not in log
